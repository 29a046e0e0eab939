# `cmake --install` lays out a relocatable tree:
#   bin/storybrush, bin/storybrush-cli            (RPATH $ORIGIN/../lib: bundled libraries sit in lib/)
#   share/storybrush/{models,tokenizers,safety,library}  (the studio's own translations are compiled into it: ui/language.cpp)
#   share/applications, share/icons/hicolor, share/metainfo
# The programs find share/storybrush relative to themselves (engine/runtime/resources.cpp), so the tree works
# wherever it is unpacked. `cpack -G DEB` turns it into a .deb; packaging/build-installer.sh into a .run.
# (CMAKE_INSTALL_RPATH is set in the top-level CMakeLists.txt: it must exist before the targets do.)
set(storybrush_app_id org.storybrush.Storybrush)

install(TARGETS storybrush-cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(STORYBRUSH_GUI)
  install(TARGETS storybrush RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/resources/models ${PROJECT_SOURCE_DIR}/resources/tokenizers
        DESTINATION ${CMAKE_INSTALL_DATADIR}/storybrush)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/resources/safety DESTINATION ${CMAKE_INSTALL_DATADIR}/storybrush
        PATTERN "*.sh" EXCLUDE)
# The picture library: the list of things, their art and its licences (the generator and its curation stay behind).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/resources/library DESTINATION ${CMAKE_INSTALL_DATADIR}/storybrush
        PATTERN "*.py" EXCLUDE PATTERN "curation" EXCLUDE PATTERN "excluded.tsv" EXCLUDE)

set(linux ${PROJECT_SOURCE_DIR}/packaging/linux)
install(FILES ${linux}/${storybrush_app_id}.desktop DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
install(FILES ${linux}/${storybrush_app_id}.metainfo.xml DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)
install(FILES ${PROJECT_SOURCE_DIR}/resources/icons/storybrush.svg
        DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps RENAME ${storybrush_app_id}.svg)
foreach(size 16 32 48 64 128 256 512)
  install(FILES ${linux}/icons/storybrush-${size}.png
          DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/${size}x${size}/apps RENAME ${storybrush_app_id}.png)
endforeach()

# The .deb: Depends are computed from the programs' libraries by dpkg-shlibdeps (libtorch, Qt, OpenCV, ...).
set(CPACK_PACKAGE_NAME storybrush)
set(CPACK_PACKAGE_VENDOR "The Storybrush developers")
set(CPACK_PACKAGE_CONTACT "The Storybrush developers <team@storybrush.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Kid-safe picture-book art studio that works offline")
set(CPACK_PACKAGE_DESCRIPTION "Storybrush makes picture-book pictures from words with Stable Diffusion models on the\n\
computer itself (NVIDIA GPU or any CPU with the built-in model). Every picture passes a\n\
kid-safe check. Includes the studio (storybrush) and the command-line tool (storybrush-cli).")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION graphics)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Qt loads these by name at run time; dpkg-shlibdeps cannot see them.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libqt6svg6, libqt6sql6-sqlite, qt6-qpa-plugins, libopenblas0-pthread | libblas3")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "fonts-noto-cjk")
include(CPack)

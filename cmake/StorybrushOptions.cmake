# One options target that every Storybrush target links (qBittorrent's common_cfg): warnings for our
# own code and the Qt defines. Third-party headers come in as SYSTEM includes, so their warnings stay out.
find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  # Precompiled headers need these sloppiness settings or ccache never hits.
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CMAKE_COMMAND} -E env
      CCACHE_SLOPPINESS=pch_defines,time_macros ${CCACHE_PROGRAM})
endif()

add_library(storybrush_options INTERFACE)
target_compile_features(storybrush_options INTERFACE cxx_std_17)
target_compile_options(storybrush_options INTERFACE
  $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wpedantic -Wshadow=local -Wnon-virtual-dtor
     -Wcast-align -Wunused -Woverloaded-virtual -Wno-unused-parameter>)
# QT_NO_KEYWORDS everywhere: libtorch uses `slots` as an identifier.
target_compile_definitions(storybrush_options INTERFACE
  QT_NO_KEYWORDS QT_NO_CAST_FROM_ASCII QT_NO_CAST_TO_ASCII QT_NO_URL_CAST_FROM_STRING
  QT_USE_QSTRINGBUILDER QT_NO_FOREACH
  STORYBRUSH_VERSION="${PROJECT_VERSION}")

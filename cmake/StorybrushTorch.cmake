# libtorch: Debian's 1.13 (CPU) for the CPU build; PyTorch's CUDA build (found through
# CMAKE_PREFIX_PATH) with STORYBRUSH_CUDA. Exposed as storybrush_torch; imported targets' include
# directories are SYSTEM, so our warning flags do not apply to libtorch's headers.
find_package(Torch REQUIRED)
if(STORYBRUSH_CUDA AND NOT TORCH_CUDA_LIBRARIES AND NOT TARGET torch_cuda)
  message(FATAL_ERROR "STORYBRUSH_CUDA=ON but the libtorch found at ${Torch_DIR} has no CUDA. "
                      "Point CMAKE_PREFIX_PATH at PyTorch's libtorch (torch.utils.cmake_prefix_path).")
endif()

add_library(storybrush_torch INTERFACE)
target_link_libraries(storybrush_torch INTERFACE ${TORCH_LIBRARIES})
target_include_directories(storybrush_torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})
if(STORYBRUSH_CUDA)
  target_compile_definitions(storybrush_torch INTERFACE STORYBRUSH_WITH_CUDA=1)
endif()
message(STATUS "libtorch ${Torch_VERSION} from ${Torch_DIR} (CUDA: ${STORYBRUSH_CUDA})")

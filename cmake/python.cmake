# cmake/python.cmake - the Python extension module ogem._ogem (OGEM_PYTHON=ON;
# `pip install .` turns it on through pyproject.toml). Included by
# CMakeLists.txt after the libraries exist. The module links the static
# libraries (ogem_core, and the command line's ogem_cli/ogem_util so that
# option checks, statistics and file writers are the binary's own code) and
# installs into the wheel's ogem/ package as component "python" (the only
# component a wheel takes).
find_package(Python 3.9 REQUIRED COMPONENTS Interpreter Development.Module)

set(OGEM_PYTHON_SOURCES     # the extension module: module, Solver, Escape
  python/ext/ext_module.c python/ext/ext_solver.c python/ext/ext_escape.c)

Python_add_library(_ogem MODULE WITH_SOABI ${OGEM_PYTHON_SOURCES})
target_include_directories(_ogem PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/python/ext)
target_compile_options(_ogem PRIVATE ${OGEM_C_WARNINGS})
if(OGEM_CUDA)
  target_compile_definitions(_ogem PRIVATE OGEM_CUDA_BUILT=1)
  # nvcc-compiled objects inside: link as the project's programs do.
  set_target_properties(_ogem PROPERTIES LINKER_LANGUAGE CUDA)
else()
  target_compile_definitions(_ogem PRIVATE OGEM_CUDA_BUILT=0)
endif()
target_link_libraries(_ogem PRIVATE ogem_cli ogem_util ogem_core)
# cuRAND (and cudart, cuBLAS) are shared libraries of the CUDA toolkit, which
# is not always in the loader's path: keep their directory in the RPATH.
set_target_properties(_ogem PROPERTIES INSTALL_RPATH_USE_LINK_PATH TRUE
                                       INSTALL_RPATH "${CUDAToolkit_LIBRARY_DIR}")
install(TARGETS _ogem LIBRARY DESTINATION ogem COMPONENT python)

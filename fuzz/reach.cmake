# The reach check (fuzz/reach.py, fuzz/reach.txt): every hand-named seed still reaches
# what it was written for.  Included from CMakeLists.txt's fuzz section (GA_DRIVERS,
# GA_SOURCES, GA_FUZZ_SUPPORT set there).
#
# <driver>_reach: the replayer once more, with alloc/ and the fuzz support code compiled
# with clang's source-based coverage (on top of the preset's flags: ASan + UBSan in
# `asan`), linked against those instrumented objects only.  clang builds only (gcc has
# no -fcoverage-mapping); ci/test runs it in the asan preset.
#   ctest reach_seeds (label corpus): fuzz/reach.py over every claim.
#   target reach_check: builds the <driver>_reach binaries; build/<preset>/reach_check is
#     a script running the same check (what ci/mutants runs for a mutant's `tests: reach_check`).
if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  return()
endif()
# Without sanitizers (-fno-sanitize=all after the preset's flags): ASan's shadow and
# allocator change the address space, hence which arena hints the OS grants and the
# sequence of OS calls, and the seeds were aimed (and ci/coverage measures them) on a
# plain build.
set(GA_REACH_FLAGS -fprofile-instr-generate -fcoverage-mapping -fno-sanitize=all)
# Without sanitizer coverage, the libfuzzer preset's coverage ignorelist (CMakeLists.txt)
# is an unused argument, an error under -Werror.
if(GA_FUZZ_ENGINE STREQUAL "libfuzzer")
  list(APPEND GA_REACH_FLAGS -Wno-unused-command-line-argument)
endif()
# alloc/ as the library is built (its asserts as the preset has them); the support code
# and the drivers keep theirs (-UNDEBUG), as goalloc_checks does.
add_library(goalloc_reach_objects OBJECT ${GA_SOURCES})
add_library(goalloc_reach_support OBJECT ${GA_FUZZ_SUPPORT})
target_compile_options(goalloc_reach_support PRIVATE -UNDEBUG)
foreach(t goalloc_reach_objects goalloc_reach_support)
  target_include_directories(${t} PRIVATE ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/alloc
                                          ${PROJECT_SOURCE_DIR}/fuzz)
  target_compile_options(${t} PRIVATE ${GA_REACH_FLAGS})
  ga_project_target(${t})
endforeach()
# threads_fuzz with its yield points, as in its other builds (CMakeLists.txt), so that
# its claims can name the interleavings its seeds were written for.
add_library(goalloc_reach_yield_objects OBJECT ${GA_SOURCES})
target_include_directories(goalloc_reach_yield_objects PRIVATE ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/alloc)
target_compile_options(goalloc_reach_yield_objects PRIVATE ${GA_REACH_FLAGS})
target_compile_definitions(goalloc_reach_yield_objects PRIVATE GA_YIELD_POINTS)
ga_project_target(goalloc_reach_yield_objects)
set(GA_REACH_BINS)
foreach(src ${GA_DRIVERS})
  get_filename_component(name ${src} NAME_WE)
  if(name STREQUAL "threads_fuzz")
    set(objs goalloc_reach_yield_objects)
  else()
    set(objs goalloc_reach_objects)
  endif()
  add_executable(${name}_reach ${src} ${PROJECT_SOURCE_DIR}/fuzz/replay_main.c
                              $<TARGET_OBJECTS:${objs}> $<TARGET_OBJECTS:goalloc_reach_support>)
  if(name STREQUAL "threads_fuzz")
    target_compile_definitions(${name}_reach PRIVATE GA_YIELD_POINTS)
  endif()
  target_include_directories(${name}_reach PRIVATE ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/alloc
                                                   ${PROJECT_SOURCE_DIR}/fuzz)
  target_compile_options(${name}_reach PRIVATE ${GA_REACH_FLAGS} -UNDEBUG)
  target_link_options(${name}_reach PRIVATE -fprofile-instr-generate -fno-sanitize=all)
  target_link_libraries(${name}_reach PRIVATE Threads::Threads)
  ga_project_target(${name}_reach)
  list(APPEND GA_REACH_BINS ${name}_reach)
endforeach()
set(GA_REACH_CMD /usr/bin/python3.11 ${PROJECT_SOURCE_DIR}/fuzz/reach.py --bin-dir ${CMAKE_BINARY_DIR})
add_test(NAME reach_seeds COMMAND ${GA_REACH_CMD})
set_tests_properties(reach_seeds PROPERTIES LABELS corpus TIMEOUT 300)
string(JOIN " " GA_REACH_SH ${GA_REACH_CMD})
file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/reach_check CONTENT "#!/bin/sh\nexec ${GA_REACH_SH} \"$@\"\n"
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
add_custom_target(reach_check DEPENDS ${GA_REACH_BINS})

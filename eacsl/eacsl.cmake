# The E-ACSL build (GA_EACSL=ON, preset `eacsl`; eacsl/README.md): the proved files'
# contracts checked at run time, in the fuzz replayers and one libFuzzer target
# (proofs/README.md, "E-ACSL: the contracts at run time").
# Included from CMakeLists.txt's fuzz section (GA_SOURCES, GA_FUZZ_SUPPORT set there).
#
#   build/<preset>/eacsl/proved.eacsl.c   the .c files of proofs/targets, instrumented by
#                                         Frama-C's E-ACSL (eacsl/instrument.py)
#   goalloc_eacsl_objects   alloc/ with those files replaced by proved.eacsl.c, compiled
#                           with GA_EACSL (alloc/os.c reports its reservations), +
#                           eacsl/rt.c + E-ACSL's runtime (bittree memory model)
#   <driver>_eacsl          the replayers of pagealloc/pallocbits/mspan/heap_fuzz, linked
#                           against them; ctest eacsl_corpus_<driver> (label eacsl) for
#                           each driver of GA_EACSL_DRIVERS
#   pallocbits_fuzz_eacsl_libfuzzer   (clang) the same objects with sanitizer coverage,
#                           -fsanitize=fuzzer; ctest eacsl_libfuzzer replays the corpus
#   eacsl_precondition      a caller outside the proved files breaking
#                           ga_pallocbits_find's precondition; ctests eacsl_precondition_broken
#                           (npages 0) and _freed (a freed bitmap): the run-time check must
#                           abort them; eacsl_precondition_ok: valid calls run (with a
#                           span sweep whose postcondition needs instrument.py's mpz_returns)
#   target eacsl_all        all of the above
# No sanitizer: E-ACSL's runtime replaces malloc for the whole program, as ASan would.
find_program(GA_FRAMAC frama-c REQUIRED)
set(GA_EACSL_SHARE /usr/share/frama-c/e-acsl)
set(GA_EACSL_DLMALLOC /usr/lib/frama-c/e-acsl/libeacsl-dlmalloc.a)
foreach(f ${GA_EACSL_SHARE}/e_acsl_rtl.c ${GA_EACSL_DLMALLOC})
  if(NOT EXISTS ${f})
    message(FATAL_ERROR "GA_EACSL: ${f} not found (Debian's frama-c-base installs it; ci/setup)")
  endif()
endforeach()
find_library(GA_GMP gmp REQUIRED)
set(GA_EACSL_BUILT pagealloc_fuzz pallocbits_fuzz mspan_fuzz heap_fuzz)
set(GA_EACSL_DRIVERS pagealloc_fuzz pallocbits_fuzz mspan_fuzz heap_fuzz
    CACHE STRING "fuzz drivers whose corpus ctest -L eacsl replays through the E-ACSL build")

# The proved .c files (proofs/targets; new lines there re-run the configuration).
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/proofs/targets)
file(STRINGS ${PROJECT_SOURCE_DIR}/proofs/targets ga_target_lines)
set(GA_EACSL_PROVED)
foreach(line ${ga_target_lines})
  if(line MATCHES "^([^ #]+\\.c)( |$)")
    list(APPEND GA_EACSL_PROVED ${PROJECT_SOURCE_DIR}/${CMAKE_MATCH_1})
  endif()
endforeach()

set(ga_gen ${CMAKE_BINARY_DIR}/eacsl/proved.eacsl.c)
file(GLOB ga_eacsl_deps CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/alloc/*.h ${PROJECT_SOURCE_DIR}/spec/*.h)
add_custom_command(
  OUTPUT ${ga_gen}
  COMMAND /usr/bin/python3.11 ${PROJECT_SOURCE_DIR}/eacsl/instrument.py ${PROJECT_SOURCE_DIR} ${ga_gen}
  DEPENDS ${PROJECT_SOURCE_DIR}/eacsl/instrument.py ${PROJECT_SOURCE_DIR}/proofs/targets
          ${PROJECT_SOURCE_DIR}/include/goalloc.h ${GA_EACSL_PROVED} ${ga_eacsl_deps}
  COMMENT "E-ACSL: instrumenting the proved files"
  VERBATIM)
# One target owns the generation (two object libraries compile the file).
add_custom_target(goalloc_eacsl_gen DEPENDS ${ga_gen})

# E-ACSL's runtime, as e-acsl-gcc.sh compiles it (segment model, its default; Debian's
# bittree model crashes in realloc), with the validity queries renamed for eacsl/rt.c to
# wrap, and a 1 GiB tracked heap (the default 128 MiB is less than heap_fuzz's shadow
# heap may take).  -w: third-party code, not held to the project's warnings.
add_library(goalloc_eacsl_rtl OBJECT ${GA_EACSL_SHARE}/e_acsl_rtl.c)
target_include_directories(goalloc_eacsl_rtl PRIVATE ${GA_EACSL_SHARE})
target_compile_definitions(goalloc_eacsl_rtl PRIVATE
  E_ACSL_SEGMENT_MMODEL E_ACSL_HEAP_SIZE=1024
  __e_acsl_valid=ga_eacsl_rtl_valid __e_acsl_valid_read=ga_eacsl_rtl_valid_read)
target_compile_options(goalloc_eacsl_rtl PRIVATE -w -fno-builtin)
set_target_properties(goalloc_eacsl_rtl PROPERTIES C_STANDARD 11 C_EXTENSIONS ON)

set(ga_plain ${GA_SOURCES})
list(REMOVE_ITEM ga_plain ${GA_EACSL_PROVED})
# The generated file is Frama-C's printout (unused temporaries, casts of its own):
# compiled without the project's warnings, for that file only.
set_source_files_properties(${ga_gen} PROPERTIES COMPILE_OPTIONS "-w")

# ga_eacsl_objects(NAME EXTRA_FLAGS...) — alloc/ for the E-ACSL build, + eacsl/rt.c
function(ga_eacsl_objects name)
  add_library(${name} OBJECT ${ga_plain} ${ga_gen} ${PROJECT_SOURCE_DIR}/eacsl/rt.c)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/alloc)
  target_compile_definitions(${name} PRIVATE GA_EACSL)
  target_compile_options(${name} PRIVATE ${ARGN})
  set_target_properties(${name} PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
  ga_project_target(${name})
  add_dependencies(${name} goalloc_eacsl_gen)
endfunction()

# ga_eacsl_link(TARGET OBJECTS) — the E-ACSL objects first (so that libgoalloc.a, which
# goalloc_fuzz_support brings, lends no member), then the runtime's libraries.
function(ga_eacsl_link tgt objs)
  target_sources(${tgt} PRIVATE $<TARGET_OBJECTS:${objs}> $<TARGET_OBJECTS:goalloc_eacsl_rtl>)
  target_link_libraries(${tgt} PRIVATE goalloc_fuzz_support goalloc_checks ${GA_EACSL_DLMALLOC} ${GA_GMP} m)
  ga_project_target(${tgt})
endfunction()

ga_eacsl_objects(goalloc_eacsl_objects)
set(ga_eacsl_bins)
# fuzz/support/corrupt.c with its corruptions skipped (GA_EACSL: they call ga_psum_merge
# outside its precondition on purpose); linked before the support archive, whose member
# it replaces.
add_library(goalloc_eacsl_corrupt OBJECT ${PROJECT_SOURCE_DIR}/fuzz/support/corrupt.c)
target_link_libraries(goalloc_eacsl_corrupt PRIVATE goalloc_checks)
target_compile_definitions(goalloc_eacsl_corrupt PRIVATE GA_EACSL)
ga_project_target(goalloc_eacsl_corrupt)
foreach(name ${GA_EACSL_BUILT})
  add_executable(${name}_eacsl ${PROJECT_SOURCE_DIR}/fuzz/${name}.c ${PROJECT_SOURCE_DIR}/fuzz/replay_main.c
                               $<TARGET_OBJECTS:goalloc_eacsl_corrupt>)
  ga_eacsl_link(${name}_eacsl goalloc_eacsl_objects)
  list(APPEND ga_eacsl_bins ${name}_eacsl)
endforeach()
foreach(name ${GA_EACSL_DRIVERS})
  add_test(NAME eacsl_corpus_${name} COMMAND ${name}_eacsl ${PROJECT_SOURCE_DIR}/corpus/${name})
  # COST: the longest replay (heap_fuzz) starts first under ctest -j2
  file(GLOB ga_inputs ${PROJECT_SOURCE_DIR}/corpus/${name}/*)
  list(LENGTH ga_inputs ga_n)
  set_tests_properties(eacsl_corpus_${name} PROPERTIES LABELS eacsl TIMEOUT 900 COST ${ga_n})
endforeach()

# The broken precondition, and its control.
add_executable(eacsl_precondition ${PROJECT_SOURCE_DIR}/eacsl/precondition.c)
ga_eacsl_link(eacsl_precondition goalloc_eacsl_objects)
list(APPEND ga_eacsl_bins eacsl_precondition)
add_test(NAME eacsl_precondition_ok COMMAND eacsl_precondition ok)
add_test(NAME eacsl_precondition_broken
         COMMAND bash ${PROJECT_SOURCE_DIR}/eacsl/expect_violation.sh
                 "In function 'ga_pallocbits_find'[^']*: Error: Precondition failed:.*1 ≤ n ≤ 512.*- n: 0"
                 $<TARGET_FILE:eacsl_precondition> broken)
add_test(NAME eacsl_precondition_freed
         COMMAND bash ${PROJECT_SOURCE_DIR}/eacsl/expect_violation.sh
                 "In function 'ga_pallocbits_find'[^']*: Error: Precondition failed:.*valid_read\\(b \\+ \\(0 \\.\\. 7\\)\\)"
                 $<TARGET_FILE:eacsl_precondition> freed)
set_tests_properties(eacsl_precondition_ok eacsl_precondition_broken eacsl_precondition_freed
                     PROPERTIES LABELS eacsl TIMEOUT 60)

# One libFuzzer target (clang): the same code with sanitizer coverage.
if(CMAKE_C_COMPILER_ID MATCHES "Clang")
  ga_eacsl_objects(goalloc_eacsl_fuzz_objects -fsanitize=fuzzer-no-link)
  add_executable(pallocbits_fuzz_eacsl_libfuzzer ${PROJECT_SOURCE_DIR}/fuzz/pallocbits_fuzz.c)
  target_compile_options(pallocbits_fuzz_eacsl_libfuzzer PRIVATE -fsanitize=fuzzer-no-link)
  ga_eacsl_link(pallocbits_fuzz_eacsl_libfuzzer goalloc_eacsl_fuzz_objects)
  target_link_options(pallocbits_fuzz_eacsl_libfuzzer PRIVATE -fsanitize=fuzzer)
  list(APPEND ga_eacsl_bins pallocbits_fuzz_eacsl_libfuzzer)
  # -runs=0: run the inputs once, fuzz nothing (a replay under libFuzzer's main); the
  # first 20 of the corpus (all of it is eacsl_corpus_pallocbits_fuzz's, 85 s): this
  # shows the engine build works, the replayer covers the corpus
  file(GLOB ga_pb_corpus ${PROJECT_SOURCE_DIR}/corpus/pallocbits_fuzz/*)
  list(SORT ga_pb_corpus)
  list(SUBLIST ga_pb_corpus 0 20 ga_pb_some)
  add_test(NAME eacsl_libfuzzer COMMAND pallocbits_fuzz_eacsl_libfuzzer -runs=0 -rss_limit_mb=0 ${ga_pb_some})
  set_tests_properties(eacsl_libfuzzer PROPERTIES LABELS eacsl TIMEOUT 600)
endif()
add_custom_target(eacsl_all DEPENDS ${ga_eacsl_bins})

# Real programs under the malloc drop-in (ctest label `real`; scripts in tests/real/,
# helpers in tests/real/lib.sh).  Included where test_dropin is registered: not in
# sanitizer builds, whose runtime must own malloc.
#
# Per program two tests: real_<name> runs it under glibc, then under goalloc
# (LD_PRELOAD), and compares the outputs; real_<name>_check runs it under goalloc with
# GOALLOC_CHECK (the heap checker every N calls; N is the script's), compared with
# real_<name>'s glibc outputs (DEPENDS: it runs after real_<name> and reuses them; on
# its own it makes its own).  Scratch: <build>/real/<name>/{compare,check}, emptied by
# each run.  Timeouts are ~3 times the loaded 2-core time.
function(ga_real_test name script timeout)
  foreach(part compare check)
    if(part STREQUAL compare)
      set(test real_${name})
    else()
      set(test real_${name}_check)
    endif()
    add_test(NAME ${test}
             COMMAND bash ${PROJECT_SOURCE_DIR}/tests/real/${script} ${test} ${part}
                     $<TARGET_FILE:goalloc_malloc> ${CMAKE_CURRENT_BINARY_DIR}/real/${name}/${part} ${ARGN})
    set_tests_properties(${test} PROPERTIES LABELS real TIMEOUT ${timeout})
    if(part STREQUAL check)
      set_tests_properties(${test} PROPERTIES DEPENDS real_${name})
    endif()
  endforeach()
endfunction()

ga_real_test(python python.sh 900)   # CPython's regression tests (26 modules, -j2)
ga_real_test(compress compress.sh 600) # xz -T2 and zstd -T2, 256 MiB
ga_real_test(gcc gcc.sh 600 ${PROJECT_SOURCE_DIR}) # gcc on alloc/*.c, four ways
ga_real_test(z3 z3.sh 600)           # z3 on 61 SMT-LIB2 problems
ga_real_test(sqlite sqlite.sh 300)   # sqlite3's shell, 255,000 rows

# go_tables (ctest label unit): the cases of 20 of Go 1.19's own page-allocator tests,
# extracted from the Go sources by tools/gotables and replayed against goalloc; the case
# counts are compared with `go test -v`'s (tests/go_tables/README.md).  Only when `go`
# is found: the extraction runs it.
find_program(GA_GO go)
if(GA_GO)
  # Parts of the API the cases need that may not be in this tree yet: each missing one
  # makes its Go functions "missing" in the replay, which fails the test (never skips).
  set(gt_alloc ${PROJECT_SOURCE_DIR}/alloc)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${gt_alloc}/pallocbits.h ${gt_alloc}/pagealloc.h)
  file(READ ${gt_alloc}/pallocbits.h gt_pallocbits_h)
  file(READ ${gt_alloc}/pagealloc.h gt_pagealloc_h)
  set(gt_have_pagecache 0)
  set(gt_have_ranges 0)
  set(gt_have_scavindex 0)
  set(gt_have_scav_bits 0)
  set(gt_have_huge 0)
  if(EXISTS ${gt_alloc}/pagecache.h)
    set(gt_have_pagecache 1)
  endif()
  if(EXISTS ${gt_alloc}/ranges.h)
    set(gt_have_ranges 1)
  endif()
  if(EXISTS ${gt_alloc}/scavindex.h)
    set(gt_have_scavindex 1)
  endif()
  if(gt_pallocbits_h MATCHES "ga_fill_aligned" AND gt_pallocbits_h MATCHES "ga_pallocdata_find_scavenge_candidate")
    set(gt_have_scav_bits 1)
  endif()
  if(gt_pagealloc_h MATCHES "huge_page_bytes")
    set(gt_have_huge 1)
  endif()

  file(GLOB gt_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/go_tables/*.c)
  add_executable(go_tables ${gt_sources})
  target_compile_definitions(go_tables PRIVATE
    GA_GT_HAVE_PAGECACHE=${gt_have_pagecache} GA_GT_HAVE_RANGES=${gt_have_ranges}
    GA_GT_HAVE_SCAVINDEX=${gt_have_scavindex} GA_GT_HAVE_SCAV_BITS=${gt_have_scav_bits}
    GA_GT_HAVE_HUGE=${gt_have_huge})
  target_link_libraries(go_tables PRIVATE goalloc_test_support goalloc_checks)
  ga_project_target(go_tables)
  add_test(NAME go_tables
           COMMAND bash ${PROJECT_SOURCE_DIR}/tests/go_tables/run.sh ${GA_GO} ${PROJECT_SOURCE_DIR}/tools/gotables
                   ${CMAKE_CURRENT_BINARY_DIR}/go_tables.d $<TARGET_FILE:go_tables>)
  # cold (empty Go build cache) the extraction and `go test` compile the runtime's tests
  set_tests_properties(go_tables PROPERTIES LABELS unit TIMEOUT 600)
endif()

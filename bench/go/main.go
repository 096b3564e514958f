// Go 1.19 side of bench/alloc: the same workload as bench/alloc.c (see
// bench/workload.h, mirrored here line for line).  Run with GOGC=off and GOGC=100.
//
//	go run bench/go/main.go            (prints one line per workload, ns/object)
package main

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
	"time"
)

type mixEntry struct{ weight, lo, hi uint32 }

var mix = []mixEntry{
	{120, 0, 8}, {180, 8, 16}, {140, 16, 32}, {140, 32, 48},
	{110, 48, 64}, {80, 64, 128}, {70, 128, 256}, {60, 256, 512},
	{45, 512, 1024}, {30, 1024, 2048}, {15, 2048, 4096}, {6, 4096, 8192},
	{3, 8192, 16384}, {1, 16384, 32768},
}

const (
	seed = 0x9e3779b97f4a7c15
	live = 100000
	ops  = 10000000
)

func next(s *uint64) uint64 {
	x := *s
	x ^= x >> 12
	x ^= x << 25
	x ^= x >> 27
	*s = x
	return x * 2685821657736338717
}

func size(s *uint64) int {
	r := next(s)
	pick := uint32(r % 1000)
	acc := uint32(0)
	for _, m := range mix {
		acc += m.weight
		if pick < acc {
			span := m.hi - m.lo
			return int(m.lo + 1 + uint32((r>>32)%uint64(span)))
		}
	}
	return 8
}

var sink [][]byte

// alloc: allocate ops objects of the mix; each replaces slot i % live of a window,
// so at most `live` objects are reachable (the same replacement pattern as the GC
// workload: with GOGC=off nothing is ever collected).
func window() (time.Duration, time.Duration) {
	s := uint64(seed)
	win := make([][]byte, live)
	c0 := cpuTime()
	start := time.Now()
	for i := 0; i < ops; i++ {
		win[i%live] = make([]byte, size(&s))
	}
	d := time.Since(start)
	c := cpuTime() - c0
	sink = win
	return d, c
}

// cpuTime: user + system time of the process, every thread (the GC's background
// workers included), as bench/alloc.c's CLOCK_PROCESS_CPUTIME_ID.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func main() {
	gogc := os.Getenv("GOGC")
	if gogc == "" {
		gogc = "100"
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	d, c := window()
	runtime.ReadMemStats(&after)
	fmt.Printf("go1.19 GOGC=%s window: %.1f ns/object (cpu %.1f), %d GC cycles, %.0f MiB heap_sys\n",
		gogc, float64(d.Nanoseconds())/ops, float64(c.Nanoseconds())/ops, after.NumGC-before.NumGC,
		float64(after.HeapSys)/(1<<20))
}

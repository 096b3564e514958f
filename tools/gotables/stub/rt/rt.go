// Package rt stands in for the identifiers that runtime's export_test.go gives
// the extracted tests (they dot-import "runtime"), with linux/amd64's values.
// Only what the tests evaluate while building their cases is here: the code
// under test (PallocBits.Find, PageAlloc, ...) is replayed in C, never run.
// The values come from Go 1.19's definitions (runtime/export_test.go, malloc.go,
// mpagealloc.go): written here, not copied.  Stand-ins that the tests call on
// the object under test (NewAddrRanges, AddrRanges.Add, NewScavengeIndex)
// record the call as a row of the current case.
package rt

import (
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"

	"gotables/stub/emit"
)

// GOOS is the runtime's constant for this platform.
const GOOS = "linux"

// Untyped like the runtime's: pageSize, pallocChunkPages, pageAlloc64Bit.
const (
	PageSize         = 8192
	PallocChunkPages = 512
	PageAlloc64Bit   = 1
)

// PallocSumBytes is unsafe.Sizeof(pallocSum(0)) in the runtime: a uintptr constant.
const PallocSumBytes = uintptr(8)

const pallocChunkBytes = uintptr(PallocChunkPages * PageSize)

// arenaBaseOffset on amd64: chunk indexes count from the bottom of the 48-bit
// address space's lower half (-2^47), as goalloc's offset addresses do.
const arenaBaseOffset = uintptr(0xffff800000000000)

// PhysPageSize is what the runtime reads from the auxiliary vector.
var PhysPageSize = uintptr(os.Getpagesize())

// PhysHugePageSize is read the way the runtime reads it at start-up on Linux:
// the transparent huge page size from sysfs, 0 when absent or not a power of 2.
var PhysHugePageSize = readHugePageSize()

func readHugePageSize() uintptr {
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size")
	if err != nil {
		return 0
	}
	v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || v == 0 || v&(v-1) != 0 {
		return 0
	}
	return uintptr(v)
}

// ChunkIdx is a chunk's index: (address - arenaBaseOffset) / chunk bytes.
type ChunkIdx uint

func chunkIndex(p uintptr) ChunkIdx { return ChunkIdx((p - arenaBaseOffset) / pallocChunkBytes) }

func chunkBase(ci ChunkIdx) uintptr { return uintptr(ci)*pallocChunkBytes + arenaBaseOffset }

// BaseChunkIdx: the chunk at 0xc000 chunks above address 0 on 64-bit platforms.
var BaseChunkIdx = chunkIndex(0xc000 * pallocChunkBytes)

// PageBase is the address of page pageIdx of chunk c.
func PageBase(c ChunkIdx, pageIdx uint) uintptr { return chunkBase(c) + uintptr(pageIdx)*PageSize }

// BitRange is [I, I+N) of a bitmap.
type BitRange struct {
	I, N uint
}

// PallocBits is a chunk's 512-bit bitmap, 8 words.
type PallocBits [PallocChunkPages / 64]uint64

// PallocSum is kept unpacked: the tests only compare its three fields.
type PallocSum struct{ start, max, end uint }

// PackPallocSum builds a summary; the runtime packs it into 64 bits.
func PackPallocSum(start, max, end uint) PallocSum { return PallocSum{start, max, end} }

// AddrRange is [base, limit) in real addresses.
type AddrRange struct{ base, limit uintptr }

// MakeAddrRange refuses, as the runtime does, a range whose ends lie on two
// sides of arenaBaseOffset (then offsets would not be ordered as addresses).
func MakeAddrRange(base, limit uintptr) AddrRange {
	if (base-arenaBaseOffset >= base) != (limit-arenaBaseOffset >= limit) {
		panic("addr range base and limit are not in the same memory segment")
	}
	return AddrRange{base, limit}
}

// AddrRanges records the mutable set a test adds to (TestAddrRangesAdd).
type AddrRanges struct{ mutable bool }

// NewAddrRanges starts an empty, mutable set.
func NewAddrRanges() AddrRanges {
	emit.Row("NewAddrRanges")
	return AddrRanges{true}
}

// Add records the addition (replayed by ga_addr_ranges_add).
func (a *AddrRanges) Add(r AddrRange) {
	if !a.mutable {
		panic("attempt to mutate immutable AddrRanges")
	}
	emit.Row("Add", "r", r)
}

// PageCache is a 64-page cache: base address, free bits, scavenged bits.
type PageCache struct {
	base        uintptr
	cache, scav uint64
}

// NewPageCache builds a cache value (an expected result, or a cache to use).
func NewPageCache(base uintptr, cache, scav uint64) PageCache { return PageCache{base, cache, scav} }

// ScavengeIndex records the index a test builds (TestScavengeIndex).
type ScavengeIndex struct{}

// NewScavengeIndex records the bounds of the index.
func NewScavengeIndex(min, max ChunkIdx) *ScavengeIndex {
	emit.Row("NewScavengeIndex", "min", min, "max", max)
	return new(ScavengeIndex)
}

// GTConsts prints the values above that the replay relies on, so that it can
// check them against goalloc's own.
func GTConsts() {
	emit.Line("const PageSize %d", PageSize)
	emit.Line("const PallocChunkPages %d", PallocChunkPages)
	emit.Line("const PhysPageSize %d", PhysPageSize)
	emit.Line("const PhysHugePageSize %d", PhysHugePageSize)
	emit.Line("const BaseChunkIdx %s", emit.Num(uint64(BaseChunkIdx)))
	emit.Line("const ArenaBaseOffset %s", emit.Num(uint64(arenaBaseOffset)))
}

// Leaf formats read the fields through reflection only: values reached through
// a test's unexported struct fields refuse Interface().
func init() {
	u := func(v reflect.Value, i int) string { return emit.Num(v.Field(i).Uint()) }
	emit.RegisterLeaf(reflect.TypeOf(BitRange{}), func(v reflect.Value) string {
		return u(v, 0) + ":" + u(v, 1)
	})
	emit.RegisterLeaf(reflect.TypeOf(AddrRange{}), func(v reflect.Value) string {
		return fmt.Sprintf("%#x:%#x", v.Field(0).Uint(), v.Field(1).Uint())
	})
	emit.RegisterLeaf(reflect.TypeOf(PageCache{}), func(v reflect.Value) string {
		return fmt.Sprintf("%#x:%#x:%#x", v.Field(0).Uint(), v.Field(1).Uint(), v.Field(2).Uint())
	})
	emit.RegisterLeaf(reflect.TypeOf(PallocSum{}), func(v reflect.Value) string {
		return u(v, 0) + ":" + u(v, 1) + ":" + u(v, 2)
	})
}

// Package emit prints what the extracted tests build, in the line format that
// tests/go_tables/go_tables.c reads (tests/go_tables/README.md):
//
//	func <TestName>         a test function starts
//	case <subtest name>     a t.Run subtest (its data follow as fields)
//	row <callee>            a call of an intercepted helper (its arguments follow)
//	<path> <token>...       a field: a captured variable or argument, flattened
//
// Values are flattened by reflection: structs as path.field, maps as path{key}
// (keys in ascending order, with path# = entry count), slices of scalars or of
// the runtime's small value types on one line, other slices as path[i] with
// path# = length.  Integers print in decimal below 2^32 and in hex above, and
// the runtime's value types print as colon-joined numbers (BitRange I:N,
// AddrRange base:limit, PageCache base:cache:scav, PallocSum start:max:end).
package emit

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
)

var stdout = bufio.NewWriter(os.Stdout)

// out collects the current function's records; endFunc writes them with the case
// records in name order (a case with its rows is self-contained), so that the file
// does not change from run to run with the order of Go's map iteration.
var out = new(bytes.Buffer)

func endFunc() {
	text := out.String()
	out.Reset()
	var head string
	var blocks []string
	for len(text) > 0 {
		i := strings.Index(text[1:], "\ncase ")
		if !strings.HasPrefix(text, "case ") {
			if i < 0 {
				head, text = text, ""
			} else {
				head, text = text[:i+2], text[i+2:]
			}
			continue
		}
		if i < 0 {
			blocks, text = append(blocks, text), ""
		} else {
			blocks, text = append(blocks, text[:i+2]), text[i+2:]
		}
	}
	sort.SliceStable(blocks, func(a, b int) bool { return firstLine(blocks[a]) < firstLine(blocks[b]) })
	stdout.WriteString(head)
	for _, b := range blocks {
		stdout.WriteString(b)
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Leaf formats for named types of the runtime stand-in (package rt); rt
// registers them at init so that this package needs no import of it.
var leafFmt = map[reflect.Type]func(reflect.Value) string{}

// RegisterLeaf makes values of t print as one token, f(v).
func RegisterLeaf(t reflect.Type, f func(reflect.Value) string) { leafFmt[t] = f }

// Flush writes out what was printed; call it before exiting.
func Flush() {
	endFunc()
	if err := stdout.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "gotables:", err)
		os.Exit(1)
	}
}

// Func starts the cases of one Go test function.
func Func(name string) {
	endFunc()
	fmt.Fprintf(stdout, "func %s\n", name)
}

// Line prints a free-form header line (constants of the stand-in).
func Line(format string, args ...interface{}) { fmt.Fprintf(out, format+"\n", args...) }

// Case stands for t.Run(name, f) where f's data are the captured variables
// given as name, value pairs.  The name is rewritten as testing.T.Run does for
// the names here (blanks become underscores), so that it matches `go test -v`.
func Case(name string, kv ...interface{}) bool {
	fmt.Fprintf(out, "case %s\n", strings.ReplaceAll(name, " ", "_"))
	fields(kv)
	return true
}

// Row records a call of an intercepted helper, with its arguments as name,
// value pairs.
func Row(callee string, kv ...interface{}) {
	fmt.Fprintf(out, "row %s\n", callee)
	fields(kv)
}

func fields(kv []interface{}) {
	if len(kv)%2 != 0 {
		panic("emit: odd name/value list")
	}
	for i := 0; i < len(kv); i += 2 {
		dump(kv[i].(string), reflect.ValueOf(kv[i+1]))
	}
}

// Num formats an unsigned integer the way every number of the output is.
func Num(x uint64) string {
	if x < 1<<32 {
		return fmt.Sprintf("%d", x)
	}
	return fmt.Sprintf("%#x", x)
}

func isLeafType(t reflect.Type) bool {
	if _, ok := leafFmt[t]; ok {
		return true
	}
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true
	}
	return false
}

func leaf(v reflect.Value) string {
	if f, ok := leafFmt[v.Type()]; ok {
		return f(v)
	}
	switch v.Kind() {
	case reflect.Bool:
		if v.Bool() {
			return "1"
		}
		return "0"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if x := v.Int(); x < 0 {
			return fmt.Sprintf("%d", x)
		}
		return Num(uint64(v.Int()))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return Num(v.Uint())
	}
	panic("emit: not a leaf: " + v.Type().String())
}

func dump(path string, v reflect.Value) {
	if !v.IsValid() {
		fmt.Fprintf(out, "%s nil\n", path)
		return
	}
	t := v.Type()
	if isLeafType(t) {
		fmt.Fprintf(out, "%s %s\n", path, leaf(v))
		return
	}
	switch t.Kind() {
	case reflect.String:
		fmt.Fprintf(out, "%s %s\n", path, v.String())
	case reflect.Ptr, reflect.Interface:
		if v.IsNil() {
			fmt.Fprintf(out, "%s nil\n", path)
			return
		}
		dump(path, v.Elem())
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			dump(path+"."+t.Field(i).Name, v.Field(i))
		}
	case reflect.Slice, reflect.Array:
		if isLeafType(t.Elem()) {
			toks := make([]string, v.Len())
			for i := range toks {
				toks[i] = leaf(v.Index(i))
			}
			fmt.Fprintf(out, "%s%s\n", path, prefixed(toks))
			return
		}
		fmt.Fprintf(out, "%s# %d\n", path, v.Len())
		for i := 0; i < v.Len(); i++ {
			dump(fmt.Sprintf("%s[%d]", path, i), v.Index(i))
		}
	case reflect.Map:
		if !isLeafType(t.Key()) {
			panic("emit: map key not a leaf: " + t.String())
		}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return less(keys[i], keys[j]) })
		fmt.Fprintf(out, "%s# %d\n", path, len(keys))
		for _, k := range keys {
			dump(fmt.Sprintf("%s{%s}", path, leaf(k)), v.MapIndex(k))
		}
	default:
		panic("emit: cannot print " + t.String() + " at " + path)
	}
}

func prefixed(toks []string) string {
	if len(toks) == 0 {
		return ""
	}
	return " " + strings.Join(toks, " ")
}

func less(a, b reflect.Value) bool {
	switch a.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() < b.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return a.Uint() < b.Uint()
	}
	return leaf(a) < leaf(b)
}

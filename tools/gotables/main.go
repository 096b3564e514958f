// Command gotables extracts the cases of 20 of Go 1.19's runtime tests (the page
// allocator's: mpallocbits, mpagealloc, mpagecache, mgcscavenge, mranges) from
// the _test.go files of a Go source tree, mechanically, by rewriting each test
// function's syntax tree into a program that builds the test's cases and prints
// them instead of running them (tests/go_tables/README.md).
//
// Usage: gotables -goroot DIR -out DIR2
//
// writes DIR2/go.mod and DIR2/main.go; `go run .` in DIR2 prints the cases.
//
// The rewrite of a test function, nothing else of it is changed:
//
//   - t.Run(name, func(t *testing.T) {...}) whose closure captures variables of
//     the test (a table entry, a loop variable) becomes emit.Case(name, "v", v,
//     ...): the subtest's data are what it captures, its body is replayed in C;
//   - other t.Run calls (the subtest builds its data inside) stay, and the
//     stand-in T.Run prints the case and runs the closure;
//   - the bodies of the helpers named in `intercept` (the closures and package
//     functions that compare against the code under test) become emit.Row(name,
//     "param", param, ...): every call prints its arguments;
//   - the imports of runtime, testing and internal/goos go to the stand-ins in
//     stub/ (gotables/stub/rt, .../testing, .../goos).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// The test functions, and the helpers of each whose calls are the cases (or
// part of a case) rather than code to evaluate.
var intercept = map[string][]string{
	"TestPallocBitsAllocRange":            {"test"},
	"TestMallocBitsPopcntRange":           nil,
	"TestPallocBitsSummarize":             nil,
	"TestPallocBitsAlloc":                 nil,
	"TestPallocBitsFree":                  nil,
	"TestFindBitRange64":                  {"check"},
	"TestPageAllocGrow":                   nil,
	"TestPageAllocAlloc":                  nil,
	"TestPageAllocExhaust":                nil,
	"TestPageAllocFree":                   nil,
	"TestPageAllocAllocAndFree":           nil,
	"TestPageCacheAlloc":                  nil,
	"TestPageCacheFlush":                  {"runTest"},
	"TestPageAllocAllocToCache":           nil,
	"TestFillAligned":                     {"check"},
	"TestPallocDataFindScavengeCandidate": nil,
	"TestPageAllocScavenge":               nil,
	"TestScavengeIndex":                   {"find", "mark"},
	"TestAddrRangesAdd":                   {"validateAddrRanges"},
	"TestAddrRangesFindSucc":              nil,
}

var files = []string{"mgcscavenge_test.go", "mpagealloc_test.go", "mpagecache_test.go", "mpallocbits_test.go", "mranges_test.go"}

// Where the test-only imports go in the generated program.
var importMap = map[string]string{
	"runtime":       "gotables/stub/rt",
	"testing":       "gotables/stub/testing",
	"internal/goos": "gotables/stub/goos",
}

const emitPkg = "gotables/stub/emit"

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "gotables: "+format+"\n", args...)
	os.Exit(1)
}

type testFunc struct {
	file *ast.File
	fn   *ast.FuncDecl
	pos  token.Position
}

func main() {
	goroot := flag.String("goroot", "", "Go source tree (its src/runtime is read)")
	outDir := flag.String("out", "", "directory for the generated program")
	self := flag.String("self", "", "this tool's directory (for the generated go.mod's replace); default: the working directory")
	flag.Parse()
	if *goroot == "" || *outDir == "" {
		fail("usage: gotables -goroot DIR -out DIR [-self DIR]")
	}
	selfDir := *self
	if selfDir == "" {
		selfDir, _ = os.Getwd()
	}
	selfDir, err := filepath.Abs(selfDir)
	if err != nil {
		fail("%v", err)
	}

	fset := token.NewFileSet()
	found := map[string]testFunc{}
	pkgFuncs := map[string]*ast.FuncDecl{} // package-level helpers, for interception
	for _, name := range files {
		path := filepath.Join(*goroot, "src", "runtime", name)
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			fail("%v", err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv != nil {
				continue
			}
			pkgFuncs[fd.Name.Name] = fd
			if _, want := intercept[fd.Name.Name]; want {
				found[fd.Name.Name] = testFunc{f, fd, fset.Position(fd.Pos())}
			}
		}
	}
	var order []string
	for name := range intercept {
		if _, ok := found[name]; !ok {
			fail("%s not found in %s", name, strings.Join(files, ", "))
		}
		order = append(order, name)
	}
	// go test runs a package's tests in the order of its files (by name) and of
	// their declarations: the same order here gives math/rand's global source the
	// same sequence of calls as `go test -run` over these 20 functions.
	sort.Slice(order, func(i, j int) bool {
		a, b := found[order[i]].pos, found[order[j]].pos
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		return a.Offset < b.Offset
	})

	var body bytes.Buffer
	imports := map[string]bool{emitPkg: true, importMap["runtime"]: true, importMap["testing"]: true}
	helpers := map[string]bool{}
	var mainCalls []string
	for _, name := range order {
		tf := found[name]
		rewrite(tf.fn, intercept[name], pkgFuncs, helpers)
		for _, p := range usedImports(tf.file, tf.fn) {
			imports[p] = true
		}
		fmt.Fprintf(&body, "// %s:%d\n", filepath.Base(tf.pos.Filename), tf.pos.Line)
		if err := printer.Fprint(&body, fset, tf.fn); err != nil {
			fail("%v", err)
		}
		body.WriteString("\n\n")
		mainCalls = append(mainCalls, fmt.Sprintf("\temit.Func(%q)\n\t%s(testing.Root(%q))\n", name, name, name))
	}
	// Package-level helpers whose calls are rows: their declarations with the
	// body replaced.
	var hnames []string
	for h := range helpers {
		hnames = append(hnames, h)
	}
	sort.Strings(hnames)
	for _, h := range hnames {
		fd := pkgFuncs[h]
		fd.Body = rowBody(h, fd.Type, nil)
		if err := printer.Fprint(&body, fset, fd); err != nil {
			fail("%v", err)
		}
		body.WriteString("\n\n")
	}

	var src bytes.Buffer
	src.WriteString("// Code generated by tools/gotables from Go's runtime tests; DO NOT EDIT.\n\npackage main\n\nimport (\n")
	var ipaths []string
	for p := range imports {
		ipaths = append(ipaths, p)
	}
	sort.Strings(ipaths)
	for _, p := range ipaths {
		switch p {
		case importMap["runtime"]:
			fmt.Fprintf(&src, "\t. %q\n", p)
		case importMap["testing"]:
			fmt.Fprintf(&src, "\ttesting %q\n", p)
		default:
			fmt.Fprintf(&src, "\t%q\n", p)
		}
	}
	src.WriteString(")\n\n")
	src.Write(body.Bytes())
	src.WriteString("func main() {\n\tGTConsts()\n")
	for _, c := range mainCalls {
		src.WriteString(c)
	}
	src.WriteString("\temit.Flush()\n}\n")
	out, err := format.Source(src.Bytes())
	if err != nil {
		os.WriteFile(filepath.Join(*outDir, "main.go.bad"), src.Bytes(), 0o644)
		fail("generated program does not parse: %v", err)
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		fail("%v", err)
	}
	gomod := fmt.Sprintf("module gotablesgen\n\ngo 1.19\n\nrequire gotables v0.0.0\n\nreplace gotables => %s\n", selfDir)
	if err := os.WriteFile(filepath.Join(*outDir, "go.mod"), []byte(gomod), 0o644); err != nil {
		fail("%v", err)
	}
	if err := os.WriteFile(filepath.Join(*outDir, "main.go"), out, 0o644); err != nil {
		fail("%v", err)
	}
}

// usedImports: the import paths (mapped to the stand-ins) of the packages that
// fn's body names.
func usedImports(f *ast.File, fn *ast.FuncDecl) []string {
	byName := map[string]string{}
	for _, im := range f.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		if im.Name != nil && im.Name.Name == "." {
			continue // runtime: always imported (dot)
		}
		if m, ok := importMap[p]; ok {
			p = m
		}
		byName[filepath.Base(p)] = p
		if im.Name != nil {
			byName[im.Name.Name] = p
		}
	}
	var used []string
	ast.Inspect(fn, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && id.Obj == nil {
				if p, ok := byName[id.Name]; ok {
					used = append(used, p)
				}
			}
		}
		return true
	})
	return used
}

// rewrite applies the rules of the package comment to fn, in place.
func rewrite(fn *ast.FuncDecl, names []string, pkgFuncs map[string]*ast.FuncDecl, helpers map[string]bool) {
	isIntercepted := map[string]bool{}
	for _, n := range names {
		isIntercepted[n] = true
		if _, ok := pkgFuncs[n]; ok {
			helpers[n] = true
		}
	}
	intercepted := 0
	// Intercepted closures: name := func(...) {...}, anywhere in fn.
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		as, ok := n.(*ast.AssignStmt)
		if !ok || len(as.Lhs) != len(as.Rhs) {
			return true
		}
		for i, l := range as.Lhs {
			id, ok := l.(*ast.Ident)
			lit, ok2 := as.Rhs[i].(*ast.FuncLit)
			if ok && ok2 && isIntercepted[id.Name] {
				lit.Body = rowBody(id.Name, lit.Type, freeVars(fn, lit, true))
				intercepted++
			}
		}
		return true
	})
	for _, n := range names {
		if helpers[n] {
			intercepted++
		}
	}
	if intercepted < len(names) {
		fail("%s: %d of the helpers %v found", fn.Name.Name, intercepted, names)
	}
	// Subtests whose data are captured.
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		es, ok := n.(*ast.ExprStmt)
		if !ok {
			return true
		}
		call, ok := es.X.(*ast.CallExpr)
		if !ok || len(call.Args) != 2 {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		lit, ok2 := call.Args[1].(*ast.FuncLit)
		if !ok || !ok2 || sel.Sel.Name != "Run" {
			return true
		}
		captured := freeVars(fn, lit, false)
		if len(captured) == 0 {
			return true // builds its case inside: T.Run runs it
		}
		args := []ast.Expr{call.Args[0]}
		for _, v := range captured {
			args = append(args, &ast.BasicLit{Kind: token.STRING, Value: strconv.Quote(v)}, ast.NewIdent(v))
		}
		es.X = &ast.CallExpr{Fun: &ast.SelectorExpr{X: ast.NewIdent("emit"), Sel: ast.NewIdent("Case")}, Args: args}
		return false
	})
}

// freeVars: the variables declared in fn's body outside lit that lit uses, in
// order of first use.  Unless withFuncs, variables initialised with a function
// literal are left out (helpers, not data).
func freeVars(fn *ast.FuncDecl, lit *ast.FuncLit, withFuncs bool) []string {
	var out []string
	seen := map[string]bool{}
	ast.Inspect(lit.Body, func(n ast.Node) bool {
		id, ok := n.(*ast.Ident)
		if !ok || id.Obj == nil || id.Obj.Kind != ast.Var || seen[id.Name] {
			return true
		}
		p := id.Obj.Pos()
		if p < fn.Body.Pos() || p >= fn.Body.End() || (p >= lit.Pos() && p < lit.End()) {
			return true
		}
		if !withFuncs && isFuncLitVar(id.Obj) {
			return true
		}
		seen[id.Name] = true
		out = append(out, id.Name)
		return true
	})
	return out
}

func isFuncLitVar(obj *ast.Object) bool {
	as, ok := obj.Decl.(*ast.AssignStmt)
	if !ok || len(as.Lhs) != len(as.Rhs) {
		return false
	}
	for i, l := range as.Lhs {
		if id, ok := l.(*ast.Ident); ok && id.Name == obj.Name {
			_, isLit := as.Rhs[i].(*ast.FuncLit)
			return isLit
		}
	}
	return false
}

// rowBody: { _ = captured...; emit.Row(name, "p", p, ...) } for a helper of type
// ft; parameters of type *testing.T are left out (the stand-in T prints nothing).
func rowBody(name string, ft *ast.FuncType, captured []string) *ast.BlockStmt {
	if ft.Results != nil && len(ft.Results.List) > 0 {
		fail("intercepted helper %s returns values: not supported", name)
	}
	var stmts []ast.Stmt
	for _, v := range captured {
		// keeps variables used only by the replaced body declared-and-used
		stmts = append(stmts, &ast.AssignStmt{Lhs: []ast.Expr{ast.NewIdent("_")}, Tok: token.ASSIGN, Rhs: []ast.Expr{ast.NewIdent(v)}})
	}
	args := []ast.Expr{&ast.BasicLit{Kind: token.STRING, Value: strconv.Quote(name)}}
	for _, field := range ft.Params.List {
		if star, ok := field.Type.(*ast.StarExpr); ok {
			if sel, ok := star.X.(*ast.SelectorExpr); ok && sel.Sel.Name == "T" {
				continue
			}
		}
		for _, n := range field.Names {
			if n.Name == "_" {
				continue
			}
			args = append(args, &ast.BasicLit{Kind: token.STRING, Value: strconv.Quote(n.Name)}, ast.NewIdent(n.Name))
		}
	}
	call := &ast.CallExpr{Fun: &ast.SelectorExpr{X: ast.NewIdent("emit"), Sel: ast.NewIdent("Row")}, Args: args}
	stmts = append(stmts, &ast.ExprStmt{X: call})
	return &ast.BlockStmt{List: stmts}
}

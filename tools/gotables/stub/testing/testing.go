// Package testing stands in for the standard testing package in the program
// that tools/gotables generates: the extracted test bodies run with a T whose
// Run records the subtest's name and runs it (only subtests that build their
// cases inside the closure are left as t.Run calls by the extractor).  A T
// that would report a failure or skip panics: table building must not fail.
package testing

import (
	"fmt"

	"gotables/stub/emit"
)

// T is the stand-in *testing.T.
type T struct{ name string }

// Root is the T a generated test function receives.
func Root(name string) *T { return &T{name: name} }

// Run prints the subtest's case header and runs f, whose helper calls print
// the case's rows.
func (t *T) Run(name string, f func(t *T)) bool {
	emit.Case(name)
	f(&T{name: t.name + "/" + name})
	return true
}

func (t *T) Helper() {}

func (t *T) Failed() bool { return false }

func (t *T) fail(msg string) {
	panic(fmt.Sprintf("gotables: %s: the test failed while building its cases: %s", t.name, msg))
}

func (t *T) Fail()                                     { t.fail("Fail") }
func (t *T) FailNow()                                  { t.fail("FailNow") }
func (t *T) Error(args ...interface{})                 { t.fail(fmt.Sprint(args...)) }
func (t *T) Errorf(format string, args ...interface{}) { t.fail(fmt.Sprintf(format, args...)) }
func (t *T) Fatal(args ...interface{})                 { t.fail(fmt.Sprint(args...)) }
func (t *T) Fatalf(format string, args ...interface{}) { t.fail(fmt.Sprintf(format, args...)) }
func (t *T) Skip(args ...interface{})                  { t.fail("skip: " + fmt.Sprint(args...)) }
func (t *T) Log(args ...interface{})                   {}
func (t *T) Logf(format string, args ...interface{})   {}

// Short is false: the counts compared are those of `go test -v` without -short.
func Short() bool { return false }

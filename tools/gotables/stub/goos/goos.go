// Package goos stands in for internal/goos (which only the standard library may
// import): the one value the extracted tests read, for linux/amd64.
package goos

// IsIos is 0: the cases Go disables on iOS run on linux/amd64.
const IsIos = 0

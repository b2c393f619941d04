//go:build !linux

package main

import "context"

// stopWithMake needs Linux's /proc; elsewhere only signals to devstack (and
// SIGTERM to make, which passes it on) stop the stack.
func stopWithMake(ctx context.Context, stop context.CancelFunc) {}

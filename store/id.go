package store

import (
	"crypto/rand"
	"fmt"
	"math"
	"time"
)

// Forever is the largest time the store represents; an instance or index
// horizon that never ends is stored as Forever.
const Forever = math.MaxInt64

// NewUUID returns a random (version 4) UUID. Public identifiers are random
// so that they reveal neither how many objects exist nor when they were made.
func NewUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Micro converts a time to the store's representation.
func Micro(t time.Time) int64 { return t.UnixMicro() }

// FromMicro converts the store's representation back to a UTC time.
func FromMicro(us int64) time.Time { return time.UnixMicro(us).UTC() }

package main

import (
	"time"

	"github.com/b2mount/b2mount/internal/s3test"
)

// profile is a network between the contenders and the server.
type profile struct {
	name   string
	shape  s3test.Shape
	shaped bool // false: straight to the counting proxy
	// linkCap is one connection's cap in MB/s (10^6 bytes), 0 for none.
	linkCap float64
}

func profileNamed(name string) (profile, bool) {
	switch name {
	case "lan":
		return profile{name: "lan"}, true
	case "wan":
		return profile{
			name:    "wan",
			shape:   s3test.Shape{Latency: 30 * time.Millisecond, Rate: 50e6},
			shaped:  true,
			linkCap: 50,
		}, true
	}
	return profile{}, false
}

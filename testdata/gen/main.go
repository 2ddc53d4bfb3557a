// Command gen regenerates the sample photos in
// testdata/developer-b2-quick-start/, a stand-in for Backblaze's public
// sample bucket "developer-b2-quick-start".
//
// The five pictures (beach, bobcat, coconuts, lake, sunset) are painted
// procedurally: simple shapes and gradients that make each one recognisable
// by its name, plus smooth value noise for texture and a fine per-pixel grain
// so the JPEGs are photo-sized (roughly 100-400 KB). All randomness comes from
// an integer hash of (x, y, seed), never from time or math/rand's global
// state, and image/jpeg encodes deterministically, so running
//
//	go run ./testdata/gen
//
// from the repository root rewrites byte-identical files. Only the standard
// library is used.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"log"
	"math"
	"os"
	"path/filepath"
)

// quality is the JPEG quality used for every photo.
const quality = 88

type photo struct {
	name  string
	w, h  int
	seed  uint32
	grain float64 // amplitude of per-pixel noise, in 0..255 units
	paint func(x, y, w, h float64, seed uint32) rgb
}

var photos = []photo{
	{"beach.jpg", 1200, 800, 11, 9, beach},
	{"bobcat.jpg", 1024, 768, 23, 10, bobcat},
	{"coconuts.jpg", 1100, 825, 37, 9, coconuts},
	{"lake.jpg", 1280, 853, 41, 8, lake},
	{"sunset.jpg", 1152, 768, 53, 9, sunset},
}

func main() {
	out := flag.String("out", "testdata/developer-b2-quick-start", "output directory")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	for _, p := range photos {
		path := filepath.Join(*out, p.name)
		if err := render(p, path); err != nil {
			log.Fatal(err)
		}
		st, err := os.Stat(path)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%-14s %4dx%-4d %7d bytes\n", p.name, p.w, p.h, st.Size())
	}
}

func render(p photo, path string) error {
	img := image.NewRGBA(image.Rect(0, 0, p.w, p.h))
	w, h := float64(p.w), float64(p.h)
	for y := 0; y < p.h; y++ {
		for x := 0; x < p.w; x++ {
			c := p.paint(float64(x), float64(y), w, h, p.seed)
			g := (hash01(uint32(x), uint32(y), p.seed^0x9e3779b9) - 0.5) * 2 * p.grain
			img.SetRGBA(x, y, color.RGBA{clamp(c.r + g), clamp(c.g + g), clamp(c.b + g), 255})
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	if err := jpeg.Encode(bw, img, &jpeg.Options{Quality: quality}); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ---- colour helpers ----------------------------------------------------

type rgb struct{ r, g, b float64 }

func col(r, g, b float64) rgb { return rgb{r, g, b} }

func mix(a, b rgb, t float64) rgb {
	t = sat(t)
	return rgb{a.r + (b.r-a.r)*t, a.g + (b.g-a.g)*t, a.b + (b.b-a.b)*t}
}

func (c rgb) scale(k float64) rgb { return rgb{c.r * k, c.g * k, c.b * k} }

func (c rgb) add(d float64) rgb { return rgb{c.r + d, c.g + d, c.b + d} }

func clamp(v float64) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v + 0.5)
}

func sat(t float64) float64 { return math.Max(0, math.Min(1, t)) }

func smoothstep(e0, e1, x float64) float64 {
	t := sat((x - e0) / (e1 - e0))
	return t * t * (3 - 2*t)
}

// ---- deterministic noise -------------------------------------------------

// hash01 maps integer coordinates and a seed to a pseudo-random value in [0,1).
func hash01(x, y, seed uint32) float64 {
	h := x*0x8da6b343 ^ y*0xd8163841 ^ seed*0xcb1ab31f
	h ^= h >> 16
	h *= 0x7feb352d
	h ^= h >> 15
	h *= 0x846ca68b
	h ^= h >> 16
	return float64(h) / 4294967296.0
}

// vnoise is smooth value noise in [0,1) with lattice spacing 1.
func vnoise(x, y float64, seed uint32) float64 {
	x0, y0 := math.Floor(x), math.Floor(y)
	fx, fy := x-x0, y-y0
	ix, iy := uint32(int32(x0)), uint32(int32(y0))
	sx, sy := fx*fx*(3-2*fx), fy*fy*(3-2*fy)
	a := hash01(ix, iy, seed)
	b := hash01(ix+1, iy, seed)
	c := hash01(ix, iy+1, seed)
	d := hash01(ix+1, iy+1, seed)
	return a + (b-a)*sx + (c-a)*sy + (a-b-c+d)*sx*sy
}

// fbm sums octaves of value noise; result is roughly in [0,1).
func fbm(x, y float64, seed uint32, octaves int) float64 {
	sum, amp, norm := 0.0, 0.5, 0.0
	for i := 0; i < octaves; i++ {
		sum += amp * vnoise(x, y, seed+uint32(i)*101)
		norm += amp
		x, y = x*2.03+17.1, y*2.03-9.7
		amp *= 0.5
	}
	return sum / norm
}

// ---- scenes ---------------------------------------------------------------

func beach(x, y, w, h float64, s uint32) rgb {
	u, v := x/w, y/h
	horizon := 0.42
	shore := 0.60 + 0.04*math.Sin(u*9+1.3) + 0.02*math.Sin(u*23)
	switch {
	case v < horizon:
		c := mix(col(70, 130, 210), col(175, 215, 245), v/horizon)
		cl := fbm(x/180, y/60, s, 5)
		c = mix(c, col(250, 250, 252), smoothstep(0.55, 0.75, cl)*(1-v/horizon*0.6))
		// sun high on the right
		d := math.Hypot(u-0.78, (v-0.12)*h/w)
		c = mix(c, col(255, 252, 230), smoothstep(0.05, 0.035, d))
		return c
	case v < shore-0.015:
		t := (v - horizon) / (shore - horizon)
		c := mix(col(20, 90, 150), col(40, 170, 180), t)
		wave := math.Sin(y*0.55+6*fbm(x/60, y/12, s+1, 3)) * 0.5
		c = c.add(wave * 14 * (0.3 + t))
		if fbm(x/40, y/6, s+2, 3) > 0.7-0.1*t {
			c = mix(c, col(235, 245, 245), 0.6)
		}
		return c
	case v < shore+0.02:
		// surf line
		f := fbm(x/25, y/5, s+3, 4)
		return mix(col(240, 245, 240), col(200, 185, 150), smoothstep(0.3, 0.7, f+(v-shore)*10))
	default:
		t := (v - shore) / (1 - shore)
		c := mix(col(190, 170, 130), col(232, 212, 170), smoothstep(0, 0.3, t))
		c = c.add((fbm(x/30, y/30, s+4, 4) - 0.5) * 40)
		// ripples in the sand
		c = c.add(math.Sin(y*0.25+8*vnoise(x/90, y/90, s+5)) * 6)
		// a beach umbrella
		ux, uy := (u-0.28)*w/h, v-0.70
		if uy < 0 && uy > -0.09 && math.Abs(ux) < 0.16*(1+uy/0.09*0.95)+0.002 && ux*ux/0.0256+uy*uy/0.0081 < 1 {
			if int(math.Floor((math.Atan2(uy, ux)+math.Pi)*6/math.Pi))%2 == 0 {
				return col(220, 40, 40)
			}
			return col(245, 240, 235)
		}
		if math.Abs(ux) < 0.004 && uy >= 0 && uy < 0.16 {
			return col(90, 70, 50)
		}
		// umbrella shadow
		sx, sy := (u-0.33)*w/h, v-0.87
		if sx*sx/0.02+sy*sy/0.0016 < 1 {
			c = c.scale(0.75)
		}
		return c
	}
}

func sunset(x, y, w, h float64, s uint32) rgb {
	u, v := x/w, y/h
	horizon := 0.62
	sunX, sunY, sunR := 0.55, 0.54, 0.085
	// dark headland silhouette at the left edge
	if u < 0.3 && v < horizon+0.004 {
		top := horizon - 0.09*math.Pow(1-u/0.3, 0.8) - 0.012*fbm(x/18, 0, s+2, 3)
		if v > top {
			return col(35, 18, 32)
		}
	}
	if v < horizon {
		t := v / horizon
		c := mix(col(60, 30, 90), col(200, 70, 80), smoothstep(0, 0.55, t))
		c = mix(c, col(255, 150, 50), smoothstep(0.45, 1, t))
		// glow around the sun
		d := math.Hypot(u-sunX, (v-sunY)*h/w)
		c = mix(c, col(255, 210, 120), math.Exp(-d*9)*0.8)
		// streaky clouds
		cl := fbm(x/260, y/22, s, 5)
		c = mix(c, col(120, 40, 70).scale(1.0+t*0.6), smoothstep(0.58, 0.72, cl)*0.85)
		if d < sunR {
			c = mix(col(255, 240, 190), col(255, 200, 90), d/sunR)
		}
		return c
	}
	// sea with a reflection streak
	t := (v - horizon) / (1 - horizon)
	c := mix(col(150, 70, 60), col(40, 20, 45), t)
	ripple := fbm(x/50, y/4, s+1, 4)
	c = c.add((ripple - 0.5) * 50)
	streak := math.Exp(-math.Pow((u-sunX)/(0.05+0.12*t), 2))
	if ripple > 0.45 {
		c = mix(c, col(255, 190, 90), streak*0.9)
	}
	return c
}

func lake(x, y, w, h float64, s uint32) rgb {
	u, v := x/w, y/h
	shore := 0.58
	// ridge is the far mountain range: a few peaks with rough slopes.
	ridge := func(u float64) float64 {
		r := 1.0
		for _, pk := range [][3]float64{{0.18, 0.20, 0.9}, {0.47, 0.10, 1.1}, {0.78, 0.17, 0.8}, {1.02, 0.24, 1.0}} {
			r = math.Min(r, pk[1]+pk[2]*math.Abs(u-pk[0]))
		}
		return r + 0.05*(fbm(u*9, 3.3, s, 6)-0.5)
	}
	// ridge2 is the nearer, lower, forested hill line.
	ridge2 := func(u float64) float64 {
		return 0.43 + 0.05*math.Sin(u*6+1) + 0.05*(fbm(u*7, 8.1, s+9, 5)-0.5)
	}
	treeLine := func(u float64) float64 {
		return shore - 0.03 - 0.035*math.Abs(math.Sin(u*w/9))*hash01(uint32(u*w/9*2/math.Pi), 5, s)
	}
	scene := func(v, x, y float64) rgb {
		if v < ridge(u) {
			c := mix(col(90, 140, 210), col(200, 225, 245), v/0.4)
			cl := fbm(x/200, y/50, s+3, 5)
			return mix(c, col(245, 245, 250), smoothstep(0.6, 0.75, cl))
		}
		if v < ridge2(u) {
			r := ridge(u)
			c := mix(col(110, 115, 135), col(80, 90, 100), (v-r)/0.2)
			c = c.add((fbm(x/25, y/25, s+4, 5) - 0.5) * 60)
			if v < 0.30+0.05*(fbm(x/30, y/30, s+5, 3)-0.5) && v < r+0.1 {
				c = mix(c, col(245, 248, 252), 0.85)
			}
			return c
		}
		if v < treeLine(u) {
			c := mix(col(60, 95, 65), col(35, 65, 40), (v-0.4)/0.2)
			return c.add((fbm(x/12, y/12, s+6, 4) - 0.5) * 50)
		}
		c := col(25, 55, 30)
		return c.add((fbm(x/6, y/6, s+7, 3) - 0.5) * 40)
	}
	if v < shore {
		return scene(v, x, y)
	}
	// water: reflection of the scene, darkened and tinted blue, rippled
	wob := (fbm(x/70, y/5, s+8, 4) - 0.5) * 0.02
	rv := 2*shore - v + wob
	c := scene(rv, x, (rv*h)+wob*w)
	c = mix(c, col(30, 80, 140), 0.45+0.25*(v-shore)/(1-shore))
	c = c.add(math.Sin(y*0.9+5*vnoise(x/40, y/8, s+10)) * 6)
	return c
}

func coconuts(x, y, w, h float64, s uint32) rgb {
	u, v := x/w, y/h
	asp := w / h
	c := mix(col(80, 150, 225), col(185, 225, 250), v)
	c = mix(c, col(250, 250, 252), smoothstep(0.6, 0.78, fbm(x/160, y/70, s, 5))*0.9)
	// ground
	if v > 0.88+0.02*math.Sin(u*7) {
		c = col(210, 190, 140).add((fbm(x/20, y/20, s+1, 4) - 0.5) * 50)
	}
	type palm struct{ baseX, lean, topX, topY float64 }
	palms := []palm{{0.30, 0.10, 0.42, 0.30}, {0.72, -0.06, 0.64, 0.22}}
	for i, p := range palms {
		// trunk: quadratic curve from (baseX,0.95) to (topX,topY)
		if v > p.topY && v < 0.95 {
			t := (0.95 - v) / (0.95 - p.topY)
			cx := p.baseX + (p.topX-p.baseX)*t + p.lean*t*(1-t)
			half := (0.022 - 0.010*t)
			if d := math.Abs(u-cx) * asp; d < half {
				band := 0.5 + 0.5*math.Sin(v*h*0.35)
				c = mix(col(120, 90, 55), col(80, 60, 35), band*0.7+d/half*0.3)
				c = c.add((fbm(x/6, y/6, s+uint32(i)+2, 3) - 0.5) * 40)
			}
		}
		// fronds: arcs radiating from the crown
		dx, dy := (u-p.topX)*asp, v-p.topY
		r := math.Hypot(dx, dy)
		if r < 0.32 && r > 0.01 {
			ang := math.Atan2(dy, dx)
			for k := 0; k < 9; k++ {
				// fronds fan over the upper half and droop at the tips
				a0 := -math.Pi - 0.35 + float64(k)*(math.Pi+0.7)/8 + float64(i)*0.12
				a := a0 + 5*r*r*math.Cos(a0)
				da := math.Remainder(ang-a, 2*math.Pi)
				width := 0.09 * (1 - r/0.32)
				if math.Abs(da)*r < width*0.5 && r < 0.30 {
					// leaflets: diagonal stripes across the frond
					leaf := 0.65 + 0.35*math.Abs(math.Sin((r+math.Abs(da)*r*1.5)*220))
					c = col(40, 125, 40).scale(leaf).add((fbm(x/8, y/8, s+20, 3) - 0.5) * 30)
				}
			}
		}
		// coconut cluster under the crown
		for k := 0; k < 5; k++ {
			ox := (hash01(uint32(k), uint32(i), s) - 0.5) * 0.07
			oy := 0.02 + hash01(uint32(k), uint32(i)+7, s)*0.035
			cd := math.Hypot(dx-ox, dy-oy)
			if cd < 0.028 {
				shade := 1 - 0.6*math.Hypot(dx-ox+0.01, dy-oy+0.01)/0.028
				c = col(110, 75, 35).scale(0.6 + 0.5*shade)
				c = c.add((fbm(x/4, y/4, s+30, 3) - 0.5) * 40)
			}
		}
	}
	// two fallen coconuts on the sand
	for k, fx := range []float64{0.50, 0.56} {
		d := math.Hypot((u-fx)*asp, v-0.93+float64(k)*0.005)
		if d < 0.035 {
			c = col(105, 70, 30).scale(1.1 - d/0.035*0.5).add((fbm(x/4, y/4, s+31, 3) - 0.5) * 40)
		}
	}
	return c
}

func bobcat(x, y, w, h float64, s uint32) rgb {
	u, v := x/w, y/h
	asp := w / h
	// blurred forest background
	c := mix(col(90, 110, 60), col(60, 75, 40), v)
	c = c.add((fbm(x/80, y/80, s, 5) - 0.5) * 80)
	if v > 0.8 {
		c = mix(c, col(120, 100, 70).add((fbm(x/10, y/10, s+1, 4)-0.5)*50), smoothstep(0.8, 0.84, v))
	}
	X := (u - 0.5) * asp
	Y := v
	fur := func(base rgb) rgb {
		f := base.add((fbm(x/3, y/9, s+2, 3) - 0.5) * 60)
		// dark spots
		if fbm(x/22, y/22, s+3, 3) > 0.66 {
			f = f.scale(0.45)
		}
		return f
	}
	inEll := func(cx, cy, rx, ry float64) float64 {
		return ((X-cx)*(X-cx))/(rx*rx) + ((Y-cy)*(Y-cy))/(ry*ry)
	}
	// body
	if e := inEll(0.12, 0.62, 0.42, 0.2); e < 1 {
		c = fur(col(175, 130, 85).scale(1.05 - 0.3*e))
	}
	// legs
	for _, lx := range []float64{-0.18, -0.06, 0.26, 0.38} {
		if Y > 0.65 && Y < 0.86 && math.Abs(X-lx) < 0.035 {
			c = fur(col(165, 120, 80))
		}
	}
	// short tail with black tip
	if e := inEll(0.55, 0.53, 0.08, 0.035); e < 1 {
		c = fur(col(170, 125, 80))
		if X > 0.6 {
			c = col(30, 25, 20)
		}
	}
	// head
	hx, hy := -0.32, 0.42
	// ears (triangles with black tufts)
	for _, side := range []float64{-1, 1} {
		ex := hx + side*0.09
		top := hy - 0.25
		if Y > top && Y < hy-0.08 {
			t := (Y - top) / (hy - 0.08 - top)
			if math.Abs(X-ex) < 0.05*t {
				c = fur(col(150, 105, 70))
				if t < 0.3 {
					c = col(25, 20, 15)
				}
			}
		}
	}
	if e := inEll(hx, hy, 0.15, 0.14); e < 1 {
		c = fur(col(185, 140, 95).scale(1.05 - 0.25*e))
		// pale muzzle
		if m := inEll(hx, hy+0.07, 0.07, 0.05); m < 1 {
			c = mix(c, col(235, 225, 205), 0.8)
		}
		// eyes
		for _, side := range []float64{-1, 1} {
			if d := math.Hypot(X-(hx+side*0.055), Y-(hy-0.025)); d < 0.022 {
				c = col(200, 170, 40)
				if math.Abs(X-(hx+side*0.055)) < 0.005 {
					c = col(10, 10, 10)
				}
			}
		}
		// nose
		if math.Hypot(X-hx, Y-(hy+0.045)) < 0.012 {
			c = col(120, 60, 60)
		}
	}
	return c
}

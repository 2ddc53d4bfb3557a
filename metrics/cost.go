package metrics

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultPricesText are B2's list prices for transactions (Backblaze's
// transaction pricing page, as of August 2026): class A free, class B
// $0.004 per 10,000, class C $0.004 per 1,000, the first 2,500 of each
// class free every day (UTC).
const DefaultPricesText = "A=0,B=0.004/10000,C=0.004/1000,free=2500"

// Prices are what B2 charges for requests, by class.
type Prices struct {
	// dollars per per requests of each class.
	dollars [numClasses]float64
	per     [numClasses]int64
	// free requests of each class a day.
	free int64
}

// defaultPrices are DefaultPricesText, read into the zero prices.
var defaultPrices = func() Prices {
	p, err := Prices{per: [numClasses]int64{1, 1, 1}}.with(DefaultPricesText)
	if err != nil {
		panic(err) // the constant is wrong
	}
	return p
}()

// DefaultPrices are DefaultPricesText.
func DefaultPrices() Prices { return defaultPrices }

// ParsePrices reads prices written as DefaultPricesText is: CLASS=DOLLARS
// or CLASS=DOLLARS/REQUESTS for the classes A, B and C, and free=N for
// the requests of each class free a day; what is not given keeps its
// default.
func ParsePrices(text string) (Prices, error) { return defaultPrices.with(text) }

// with is p with the prices text sets.
func (p Prices) with(text string) (Prices, error) {
	for _, item := range strings.Split(text, ",") {
		key, val, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			return Prices{}, fmt.Errorf("%q: want CLASS=DOLLARS/REQUESTS or free=N", item)
		}
		if strings.EqualFold(key, "free") {
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil || n < 0 {
				return Prices{}, fmt.Errorf("free=%q: want a whole number of requests", val)
			}
			p.free = n
			continue
		}
		c := strings.Index("ABC", strings.ToUpper(key))
		if len(key) != 1 || c < 0 {
			return Prices{}, fmt.Errorf("%q: the classes are A, B and C", key)
		}
		d, per, hasPer := strings.Cut(val, "/")
		dollars, err := strconv.ParseFloat(d, 64)
		n := int64(1)
		if err == nil && hasPer {
			n, err = strconv.ParseInt(per, 10, 64)
		}
		if err != nil || !(dollars >= 0) || math.IsInf(dollars, 1) || n < 1 {
			return Prices{}, fmt.Errorf("%s=%q: want DOLLARS per request, or DOLLARS/REQUESTS like 0.004/10000", key, val)
		}
		p.dollars[c], p.per[c] = dollars, n
	}
	return p, nil
}

// String writes p as ParsePrices reads it.
func (p Prices) String() string {
	var b strings.Builder
	for c := range Class(numClasses) {
		fmt.Fprintf(&b, "%s=%s", c, strconv.FormatFloat(p.dollars[c], 'f', -1, 64))
		if p.per[c] != 1 {
			fmt.Fprintf(&b, "/%d", p.per[c])
		}
		b.WriteString(",")
	}
	fmt.Fprintf(&b, "free=%d", p.free)
	return b.String()
}

// dayCost is the cost of one day's requests n of each class.
func (p Prices) dayCost(n [numClasses]int64) float64 {
	var sum float64
	for c := range n {
		if billed := n[c] - p.free; billed > 0 {
			sum += float64(billed) * p.dollars[c] / float64(p.per[c])
		}
	}
	return sum
}

// Summary is what the requests since the mount started cost.
type Summary struct {
	// Requests counts the requests of each class (A, B, C).
	Requests [numClasses]int64
	// Cost is their estimated cost in US dollars at Prices, each UTC
	// day's free allowance taken off the requests of that day.
	Cost   float64
	Prices Prices
}

// LogAttrs are s as the attributes of one log line.
func (s Summary) LogAttrs() []any {
	return []any{"class_a", s.Requests[ClassA], "class_b", s.Requests[ClassB], "class_c", s.Requests[ClassC],
		"estimated_cost_usd", fmt.Sprintf("%.6f", s.Cost), "prices", s.Prices.String()}
}

// Summary counts the requests since the mount started by B2 class, and
// what they cost.
func (m *Metrics) Summary() Summary { return m.ledger.summary() }

// ledger counts requests by class and UTC day, and prices them.
type ledger struct {
	prices Prices
	now    func() time.Time

	mu     sync.Mutex // guards the fields below
	day    string     // the UTC date of today's requests, "" before the first
	today  [numClasses]int64
	total  [numClasses]int64
	before float64 // the cost of the days before day
}

func newLedger(p Prices, now func() time.Time) *ledger { return &ledger{prices: p, now: now} }

// add counts a request of class c, now.
func (l *ledger) add(c Class) {
	day := l.now().UTC().Format(time.DateOnly)
	l.mu.Lock()
	defer l.mu.Unlock()
	if day != l.day {
		l.before += l.prices.dayCost(l.today)
		l.today = [numClasses]int64{}
		l.day = day
	}
	l.today[c]++
	l.total[c]++
}

func (l *ledger) summary() Summary {
	l.mu.Lock()
	defer l.mu.Unlock()
	return Summary{Requests: l.total, Cost: l.before + l.prices.dayCost(l.today), Prices: l.prices}
}

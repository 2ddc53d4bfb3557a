package main

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// workloadFlags maps the names -workloads takes to the workloads they run
// (the names in the tables and in runResult.errs). A workload added in its
// own file adds its entry here.
var workloadFlags = map[string][]string{
	"seq":       {wSeq, wSeqRanged},
	"par":       {wPar},
	"ls":        {wLs},
	"tree":      {wTree},
	"photos":    {wPhotos},
	"rand4k":    {wRand4k},
	"rand1m":    {wRand1m},
	"cold-cat":  {wColdCat},
	"cold-stat": {wColdStat},
	"cold-find": {wColdFind},
	"million":   {wMillion},
	"writes":    {wWrites},
}

// wantsReads reports whether any workload of runProfile (every one but
// the writes) is selected.
func (c *config) wantsReads() bool {
	for w := range c.workloads {
		if w != wWrites {
			return true
		}
	}
	return false
}

// parseWorkloads turns -workloads (comma-separated flag names, or "all")
// into the set of workloads to run.
func parseWorkloads(s string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name == "all" {
			for _, ws := range workloadFlags {
				for _, w := range ws {
					out[w] = true
				}
			}
			continue
		}
		ws, ok := workloadFlags[name]
		if !ok {
			return nil, fmt.Errorf("unknown workload %q (want all or some of %s)", name, strings.Join(workloadNames(), ","))
		}
		for _, w := range ws {
			out[w] = true
		}
	}
	return out, nil
}

// workloadNames are the names -workloads takes, sorted.
func workloadNames() []string {
	names := make([]string, 0, len(workloadFlags))
	for n := range workloadFlags {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// wants reports whether the run includes any of the workloads ws.
func (c *config) wants(ws ...string) bool {
	return slices.ContainsFunc(ws, func(w string) bool { return c.workloads[w] })
}

package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"time"
)

// runAB compares two niwa binaries (two commits, a change and its base)
// on the same machine at the same time. Each round starts both afresh and
// runs every workload on one, then the other, which goes first
// alternating, so load drifting over minutes lands on both alike and what
// one process happens to be does not count as its binary's. It reports
// each binary's median CPU per operation with its range, and the ratio B/A
// of every round's two adjacent runs: a change beyond 5% is called only
// when every round of five or more went the same way (abVerdict).
func runAB(out io.Writer, bins []string, filter string, n, conc int, minCPU time.Duration, rounds, starts int) {
	floorSrv := startFloor("-floor-serve")
	defer stop(floorSrv)
	env := benchEnv{target: strings.TrimPrefix(floorSrv.endpoint, "http://")}
	workloads := selectWorkloads(env, filter)
	labels := [2]string{"A", "B"}
	mk := func(k int) func(int) *exec.Cmd {
		return func(port int) *exec.Cmd { return niwaCmd(bins[k], port) }
	}

	var startups [2][]time.Duration
	var floorStarts []time.Duration
	if starts > 0 {
		dir, err := os.MkdirTemp("", "niwa-bench-floor-")
		check(err)
		defer func() { _ = os.RemoveAll(dir) }()
		floorBin := buildFloorServer(dir)
		for i := range starts {
			for j := range 2 {
				k := (i + j) % 2
				fmt.Fprintf(os.Stderr, "bench: start-up of %s\n", labels[k])
				s := start(labels[k], mk(k))
				startups[k] = append(startups[k], s.startup)
				stop(s)
			}
			s := start("floor", floorServerCmd(floorBin))
			floorStarts = append(floorStarts, s.startup)
			stop(s)
		}
	}
	floorBefore := run(floorSrv, floorWorkload(), n, conc, minCPU, 0)
	floorSDK := run(floorSrv, floorSDKWorkload(), n, conc, minCPU, 0)
	sdkReq, err := captureSDKRequest()
	check(err)
	floorReplay := run(floorSrv, floorReplayWorkload(sdkReq), n, conc, minCPU, 0)

	// Every round starts a fresh pair of servers and runs every workload
	// on both, in the bench's order (so each meets the state the ones
	// before it left, as in `go run ./bench`), the two runs of a workload
	// back to back, which goes first alternating by round and workload.
	// Fresh servers each round keep what one process happens to be (its
	// heap's layout, where its collections fall) from counting as the
	// binary's.
	rows := make([]abRow, len(workloads))
	var idle [2]int64
	var final [2]procMemory
	for r := range rounds {
		var servers [2]*server
		for j := range 2 {
			k := (r + j) % 2
			servers[k] = start(labels[k], mk(k))
		}
		if r == 0 {
			// Idle as the main run reads it: 3 s after start, once
			// niwa's memory governor has released what idle niwa
			// does not need.
			time.Sleep(3 * time.Second)
			for k := range 2 {
				idle[k] = rssKB(servers[k].cmd.Process.Pid)
			}
		}
		for i, w := range workloads {
			count := n
			if w.ops > 0 && w.ops < count {
				count = w.ops
			}
			rows[i].name = w.name
			var got [2]result
			for j := range 2 {
				k := (r + i + j) % 2
				s := servers[k]
				prepare(s, w)
				fmt.Fprintf(os.Stderr, "bench: %s %s (round %d)\n", labels[k], w.name, r+1)
				got[k] = run(s, w, count, conc, minCPU, s.next)
				s.next += got[k].ops
				rows[i].errors[k] += got[k].errors
			}
			for k := range 2 {
				rows[i].cpu[k] = append(rows[i].cpu[k], us(got[k].cpuPerOp))
			}
			if got[0].cpuPerOp > 0 {
				rows[i].ratios = append(rows[i].ratios, float64(got[1].cpuPerOp)/float64(got[0].cpuPerOp))
			}
		}
		for k := range 2 {
			if r == 0 {
				final[k] = readProcMemory(servers[k].cmd.Process.Pid)
			}
			stop(servers[k])
		}
	}
	floorAfter := run(floorSrv, floorWorkload(), n, conc, minCPU, 0)

	fmt.Fprintf(out, "A/B: A = %s, B = %s. Machine: %s/%s, %d CPUs, %s, %s; at least %d ops per run (more until the server used %v of CPU), %d concurrent clients, %d rounds (fresh servers each, A and B alternating which runs a workload first).\n\n",
		bins[0], bins[1], runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel(), runtime.Version(), n, minCPU, conc, rounds)
	fmt.Fprintf(out, "Floor (trivial server) before / after: %.1f / %.1f µs per request. %s\n\n",
		us(floorBefore.cpuPerOp), us(floorAfter.cpuPerOp), floorSDKLine(floorSDK, floorReplay))
	if starts > 0 {
		fmt.Fprintf(out, "Start-up (median of %d): A %.1f ms, B %.1f ms; %s Idle RSS: A %.1f MiB, B %.1f MiB.\n\n",
			starts, ms(medianDur(startups[0])), ms(medianDur(startups[1])), floorStartLine(medianDur(floorStarts)), float64(idle[0])/1024, float64(idle[1])/1024)
	}
	fmt.Fprintf(out, "RSS after the last workload (first round): A %.1f MiB (anonymous %.1f), B %.1f MiB (anonymous %.1f).\n\n",
		float64(final[0].rss)/1024, float64(final[0].anon)/1024, float64(final[1].rss)/1024, float64(final[1].anon)/1024)
	fmt.Fprintln(out, "| workload | A CPU/op median (range) | B CPU/op median (range) | B/A per round: median (range) | B slower in | verdict |")
	fmt.Fprintln(out, "|---|---:|---:|---:|---:|---|")
	for _, r := range rows {
		a, b := summarize(r.cpu[0]), summarize(r.cpu[1])
		q := summarize(r.ratios)
		slower := 0
		for _, x := range r.ratios {
			if x > 1 {
				slower++
			}
		}
		fmt.Fprintf(out, "| %s | %.1f µs (%.1f–%.1f) | %.1f µs (%.1f–%.1f) | %+.1f%% (%+.1f%% … %+.1f%%) | %d of %d | %s |\n",
			r.name, a.median, a.min, a.max, b.median, b.min, b.max,
			pct(q.median), pct(q.min), pct(q.max), slower, len(r.ratios), abVerdict(r.ratios))
	}
	for _, r := range rows {
		for k := range 2 {
			if r.errors[k] > 0 {
				fmt.Fprintf(out, "\n%s %s: %d errors\n", labels[k], r.name, r.errors[k])
			}
		}
	}
}

type abRow struct {
	name   string
	cpu    [2][]float64 // µs per op, one a round
	ratios []float64    // B/A, one a round
	errors [2]int
}

type summary struct{ median, min, max float64 }

func summarize(xs []float64) summary {
	if len(xs) == 0 {
		return summary{}
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return summary{median: m, min: s[0], max: s[len(s)-1]}
}

func pct(ratio float64) float64 { return (ratio - 1) * 100 }

func medianDur(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// abVerdict reads the rounds' B/A ratios. A change beyond 5% is called
// only when the median ratio is past 5% and every round went the same way,
// of at least five rounds: on a shared 2-core machine one binary's runs
// spread by ±15%, and runs of one binary against itself (A/A) had four of
// five rounds agree, with a median past 5%, for three workloads of seven.
// Otherwise the difference is within what the rounds can tell apart, and
// the verdict says how far apart their ratios were.
func abVerdict(ratios []float64) string {
	if len(ratios) == 0 {
		return "–"
	}
	q := summarize(ratios)
	var up, down int
	for _, x := range ratios {
		switch {
		case x > 1:
			up++
		case x < 1:
			down++
		}
	}
	spread := math.Round(pct(q.max) - pct(q.min))
	past := q.median > 1.05 || q.median < 0.95
	switch {
	case past && len(ratios) < minVerdictRounds:
		return fmt.Sprintf("too few rounds to tell (%d; %d wanted)", len(ratios), minVerdictRounds)
	case q.median > 1.05 && up == len(ratios):
		return fmt.Sprintf("**B slower by %.0f%%**", pct(q.median))
	case q.median < 0.95 && down == len(ratios):
		return fmt.Sprintf("**B faster by %.0f%%**", -pct(q.median))
	case past:
		return fmt.Sprintf("not consistent across rounds (spread %.0f%%)", spread)
	}
	return fmt.Sprintf("within 5%% (rounds spread %.0f%%)", spread)
}

// minVerdictRounds is the fewest rounds abVerdict calls a change from:
// with five, rounds agreeing by chance alone is 1 in 16.
const minVerdictRounds = 5

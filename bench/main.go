// Command bench measures niwa side by side with moto's server (the peer
// emulator) on loopback: start-up to first answer, idle RSS, and per
// workload throughput, latency percentiles and server CPU time per
// operation (utime+stime from /proc/<pid>/stat over the measured window).
// On a small machine the load client saturates the CPU long before a fast
// server does, so CPU per operation is the figure that shows the server's
// own cost. Ratios come from one run.
//
//	go run ./bench                 # niwa vs moto, results as Markdown on stdout
//	go run ./bench -rounds 3       # median of three alternating rounds
//	go run ./bench -n 2000 -only niwa -workload S3
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

type server struct {
	name     string
	endpoint string
	cmd      *exec.Cmd
	startup  time.Duration
	next     int // the next operation index (CreateUser names must not repeat across rounds)
}

type workload struct {
	name  string
	setup func(ctx context.Context, cfg aws.Config) error
	op    func(ctx context.Context, cfg aws.Config, i int) error
	// niwaOnly, when set, says why the peer cannot run this workload
	// (moto runs Lambda functions only in Docker); the peer's cells show
	// it instead of numbers.
	niwaOnly string
	// ops, when set, replaces -n for a slow workload (a cold start is a
	// process start).
	ops int
	// stored is how many bytes of the user's data one operation leaves
	// stored (an object's body, a message, an item), for RSS per stored
	// MiB; 0 for reads and for records too small to count.
	stored int64
	// binaryOnly, when set, says why BenchmarkWorkloads (in-process)
	// leaves the workload to `go run ./bench`.
	binaryOnly string
	// usesTarget says the workload sends requests on to benchEnv's
	// target; the run then also measures GETs straight to the target.
	usesTarget bool
	// note, when set, returns a line for under the tables about the
	// workload's run on the server at endpoint (res), e.g. the time per
	// scanned MiB; target is the measurement of the target alone when
	// the workload usesTarget.
	note func(endpoint string, res, target result) string
}

type result struct {
	rssKB    int64 // the server's RSS once the workload's rounds ended
	ops      int
	skipped  string // why the workload did not run on this server
	elapsed  time.Duration
	p50, p99 time.Duration
	cpuPerOp time.Duration
	errors   int
	note     string
}

func main() {
	n := flag.Int("n", 1000, "operations per workload")
	conc := flag.Int("c", 4, "concurrent clients")
	only := flag.String("only", "", "run only this server (niwa or moto)")
	filter := flag.String("workload", "", "run only workloads whose name contains this (or one of its |-separated alternatives)")
	profile := flag.String("niwa-cpuprofile", "", "run niwa with --cpuprofile FILE (profile of every workload run)")
	memProfile := flag.String("niwa-memprofile", "", "run niwa with --memprofile FILE (its heap and the runtime's memory statistics after every workload)")
	nRounds := flag.Int("rounds", 1, "measure each workload this many times per server, alternating, and report the median round")
	starts := flag.Int("starts", 10, "start each server this many times and report the median start-up to first answer")
	floorServe := flag.Int("floor-serve", 0, "internal: serve the trivial HTTP server the floor is measured on, on this port")
	protoServe := flag.Int("floor-serve-proto", 0, "internal: serve the prototype floor (a minimal HTTP/1.1 server, not net/http) on this port")
	protoFloor := flag.Bool("proto-floor", false, "also measure the floor's three exchanges on a minimal HTTP/1.1 server instead of net/http (what net/http itself costs)")
	minCPU := flag.Duration("min-cpu", 500*time.Millisecond, "keep a workload running (up to 20×n ops) until the server spent this much CPU, so that one run is long enough to average the machine's load over")
	niwaBin := flag.String("niwa-bin", "", "run this niwa binary instead of building ./cmd/niwa")
	storedMiB := flag.Float64("stored-mib", 24, "the stored data set after the workloads: this many MiB each of S3 objects, DynamoDB items and SQS messages (0: none)")
	ab := flag.String("ab", "", "A/B mode: two niwa binaries, `A,B`; each workload runs on both, alternating (A B, then B A) for -rounds rounds, and the medians, spread and per-round ratios are reported")
	flag.Parse()
	if *floorServe != 0 {
		serveFloor(*floorServe)
		return
	}
	if *protoServe != 0 {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(*protoServe))
		check(err)
		check(serveProtoFloor(l))
		return
	}
	if *ab != "" {
		bins := strings.Split(*ab, ",")
		if len(bins) != 2 || bins[0] == "" || bins[1] == "" {
			check(fmt.Errorf("-ab wants two binaries, A,B; got %q", *ab))
		}
		runAB(os.Stdout, bins, *filter, *n, *conc, *minCPU, max(*nRounds, 1), *starts)
		return
	}

	bin := *niwaBin
	if bin == "" {
		dir, err := os.MkdirTemp("", "niwa-bench-")
		check(err)
		defer func() { _ = os.RemoveAll(dir) }()
		bin = filepath.Join(dir, "niwa")
		build := exec.Command("go", "build", "-o", bin, "./cmd/niwa")
		build.Stderr = os.Stderr
		check(build.Run())
	}

	starters := map[string]func(port int) *exec.Cmd{
		"niwa": func(port int) *exec.Cmd {
			var args []string
			if *profile != "" {
				args = append(args, "--cpuprofile", *profile)
			}
			if *memProfile != "" {
				args = append(args, "--memprofile", *memProfile)
			}
			return niwaCmd(bin, port, args...)
		},
		"moto": func(port int) *exec.Cmd {
			return exec.Command("python3", "-m", "moto.server", "-p", strconv.Itoa(port))
		},
	}
	names := []string{"niwa", "moto"}
	if *only != "" {
		names = []string{*only}
	}
	// The start-up floor: the trivial server in a binary of its own,
	// started as often as each server.
	floorDir, err := os.MkdirTemp("", "niwa-bench-floor-")
	check(err)
	defer func() { _ = os.RemoveAll(floorDir) }()
	floorStart := medianStartup("floor", floorServerCmd(buildFloorServer(floorDir)), *starts)
	// The floor: a trivial Go HTTP server answering a fixed 30-byte JSON,
	// driven by the same number of clients in the same run; every CPU
	// figure is also shown as a multiple of its CPU per request. It stays
	// up as the load balancer workloads' target.
	floorSrv := startFloor("-floor-serve")
	defer stop(floorSrv)
	env := benchEnv{target: strings.TrimPrefix(floorSrv.endpoint, "http://")}
	workloads := selectWorkloads(env, *filter)

	results := map[string]map[string]result{}
	startups := map[string]time.Duration{}
	idle := map[string]procMemory{}
	servers := map[string]*server{}
	for _, name := range names {
		startups[name] = medianStartup(name, starters[name], *starts)
		s := start(name, starters[name])
		// Idle: 3 s after the first answer, as the reading 3 s after the
		// workloads (niwa's memory governor returns what an idle niwa
		// does not need a second after it goes idle).
		time.Sleep(3 * time.Second)
		idle[name] = readProcMemory(s.cmd.Process.Pid)
		servers[name] = s
		results[name] = map[string]result{}
	}
	floor := run(floorSrv, floorWorkload(), *n, *conc, *minCPU, 0)
	floorSDK := run(floorSrv, floorSDKWorkload(), *n, *conc, *minCPU, 0)
	sdkReq, err := captureSDKRequest()
	check(err)
	floorReplay := run(floorSrv, floorReplayWorkload(sdkReq), *n, *conc, *minCPU, 0)
	var protoLine string
	if *protoFloor {
		p := startFloor("-floor-serve-proto")
		protoLine = fmt.Sprintf("The same three on a minimal HTTP/1.1 server instead of net/http (`-proto-floor`, bench/floorproto.go): the 30-byte JSON %.1f µs, the SDK's request sent by the SDK %.1f µs, replayed %.1f µs.",
			us(run(p, floorWorkload(), *n, *conc, *minCPU, 0).cpuPerOp), us(run(p, floorSDKWorkload(), *n, *conc, *minCPU, 0).cpuPerOp),
			us(run(p, floorReplayWorkload(sdkReq), *n, *conc, *minCPU, 0).cpuPerOp))
		stop(p)
	}
	var target result // GETs straight to the target, measured before the first workload using it
	var stored int64
	// Both servers stay up and each workload runs on one, then the
	// other, -rounds times, the median round counting: on a shared
	// machine the background load drifts, and measuring the two close
	// together in time keeps that drift out of the ratio.
	for _, w := range workloads {
		count := *n
		if w.ops > 0 && w.ops < count {
			count = w.ops
		}
		if w.usesTarget && target.ops == 0 {
			fmt.Fprintln(os.Stderr, "bench: the target alone")
			target = run(floorSrv, targetWorkload(env), *n, *conc, *minCPU, 0)
		}
		rounds := map[string][]result{}
		for r := 0; r < *nRounds; r++ {
			for _, name := range names {
				if name != "niwa" && w.niwaOnly != "" {
					continue
				}
				s := servers[name]
				if r == 0 {
					prepare(s, w)
				}
				fmt.Fprintf(os.Stderr, "bench: %s %s (round %d)\n", name, w.name, r+1)
				res := run(s, w, count, *conc, *minCPU, s.next)
				s.next += res.ops
				rounds[name] = append(rounds[name], res)
			}
		}
		for _, name := range names {
			if name != "niwa" && w.niwaOnly != "" {
				results[name][w.name] = result{skipped: w.niwaOnly}
				continue
			}
			rs := rounds[name]
			sort.Slice(rs, func(i, j int) bool { return rs[i].cpuPerOp < rs[j].cpuPerOp })
			res := rs[len(rs)/2]
			res.rssKB = rssKB(servers[name].cmd.Process.Pid)
			if w.note != nil {
				res.note = w.note(servers[name].endpoint, res, target)
			}
			results[name][w.name] = res
		}
		// What the niwa rounds left stored (both servers ran the same
		// operations; moto's Lambda rows are skipped and store nothing).
		for _, res := range rounds["niwa"] {
			stored += int64(res.ops) * w.stored
		}
		if _, ok := rounds["niwa"]; !ok {
			for _, res := range rounds[names[0]] {
				stored += int64(res.ops) * w.stored
			}
		}
	}
	var storedRes map[string]storedResult
	if *storedMiB > 0 && selectStored(*filter) {
		storedRes = measureStored(names, servers, storedPlanMiB(*storedMiB), *conc)
		stored += storedRes[names[0]].stored
	}
	final := map[string]procMemory{}
	for name, s := range servers {
		final[name] = readProcMemory(s.cmd.Process.Pid)
	}
	// And once idle: what a server left running after a burst of work
	// keeps (niwa returns freed heap idleAfter after its last collection).
	time.Sleep(3 * time.Second)
	settled := map[string]procMemory{}
	for name, s := range servers {
		settled[name] = readProcMemory(s.cmd.Process.Pid)
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		_ = s.cmd.Wait()
	}

	printTables(os.Stdout, names, workloads, startups, idle, results, floor, *n, *conc, *minCPU, *nRounds)
	printMemory(os.Stdout, names, idle, final, settled, stored, floor, floorSDK, floorReplay, protoLine, *starts, floorStart)
	printStored(os.Stdout, names, storedRes)
}

// printTables writes the results as Markdown, ready for
// docs/performance.md: start-up and idle RSS, then one row per workload
// with both servers side by side and the CPU-per-op ratio first.
func printTables(out io.Writer, names []string, workloads []workload, startups map[string]time.Duration,
	idle map[string]procMemory, results map[string]map[string]result, floor result, n, conc int, minCPU time.Duration, rounds int) {
	fmt.Fprintf(out, "Machine: %s/%s, %d CPUs, %s, %s; at least %d ops per workload (more until the server used %v of CPU), %d concurrent clients (aws-sdk-go-v2), median of %d round(s) per server.\n\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel(), runtime.Version(), n, minCPU, conc, rounds)
	ratio := func(a, b float64) string {
		if a <= 0 || b <= 0 {
			return "–"
		}
		return fmt.Sprintf("**%.1f×**", b/a)
	}
	fmt.Fprintln(out, "| measure | "+strings.Join(names, " | ")+" | ratio |")
	fmt.Fprintln(out, "|---|"+strings.Repeat("---:|", len(names))+"---:|")
	var su, rss []float64
	for _, name := range names {
		su = append(su, ms(startups[name]))
		rss = append(rss, float64(idle[name].rss)/1024)
	}
	cells := func(vals []float64, format string) string {
		var c []string
		for _, v := range vals {
			c = append(c, fmt.Sprintf(format, v))
		}
		return strings.Join(c, " | ")
	}
	two := len(names) == 2
	r := func(vals []float64) string {
		if !two {
			return ""
		}
		return ratio(vals[0], vals[1])
	}
	fmt.Fprintf(out, "| start-up to first answer | %s | %s |\n", cells(su, "%.1f ms"), r(su))
	fmt.Fprintf(out, "| idle RSS | %s | %s |\n\n", cells(rss, "%.1f MiB"), r(rss))

	fmt.Fprint(out, "| workload |")
	for _, name := range names {
		fmt.Fprintf(out, " %s CPU/op |", name)
	}
	if two {
		fmt.Fprint(out, " CPU ratio |")
	}
	fmt.Fprintf(out, " %s ×floor |", names[0])
	for _, name := range names {
		fmt.Fprintf(out, " %s ops/s | %s p50 / p99 |", name, name)
	}
	for _, name := range names {
		fmt.Fprintf(out, " %s RSS after |", name)
	}
	fmt.Fprintln(out)
	fmt.Fprint(out, "|---|"+strings.Repeat("---:|", len(names)))
	if two {
		fmt.Fprint(out, "---:|")
	}
	fmt.Fprint(out, "---:|")
	fmt.Fprintln(out, strings.Repeat("---:|---:|", len(names))+strings.Repeat("---:|", len(names)))
	for _, w := range workloads {
		fmt.Fprintf(out, "| %s |", w.name)
		var cpu []float64
		for _, name := range names {
			res := results[name][w.name]
			if res.skipped != "" {
				fmt.Fprintf(out, " n/a (%s) |", res.skipped)
				cpu = append(cpu, 0)
				continue
			}
			cpu = append(cpu, us(res.cpuPerOp))
			fmt.Fprintf(out, " %.1f µs |", us(res.cpuPerOp))
		}
		if two {
			fmt.Fprintf(out, " %s |", ratio(cpu[0], cpu[1]))
		}
		if f := us(floor.cpuPerOp); f > 0 && cpu[0] > 0 {
			fmt.Fprintf(out, " %.1f× |", cpu[0]/f)
		} else {
			fmt.Fprint(out, " – |")
		}
		for _, name := range names {
			res := results[name][w.name]
			if res.skipped != "" {
				fmt.Fprint(out, " n/a | n/a |")
				continue
			}
			fmt.Fprintf(out, " %.0f | %.2f / %.2f ms |", float64(res.ops)/res.elapsed.Seconds(), ms(res.p50), ms(res.p99))
		}
		for _, name := range names {
			if res := results[name][w.name]; res.skipped == "" {
				fmt.Fprintf(out, " %.1f MiB |", float64(res.rssKB)/1024)
			} else {
				fmt.Fprint(out, " n/a |")
			}
		}
		fmt.Fprintln(out)
	}
	for _, name := range names {
		for _, w := range workloads {
			if e := results[name][w.name].errors; e > 0 {
				fmt.Fprintf(out, "\n%s %s: %d errors\n", name, w.name, e)
			}
		}
	}
	first := true
	for _, w := range workloads {
		for _, name := range names {
			if note := results[name][w.name].note; note != "" {
				if first {
					fmt.Fprintln(out)
					first = false
				}
				fmt.Fprintf(out, "- %s, %s: %s\n", w.name, name, note)
			}
		}
	}
}

// niwaCmd is niwa at bin serving on port, as the bench runs it.
func niwaCmd(bin string, port int, extra ...string) *exec.Cmd {
	args := []string{"--port", strconv.Itoa(port), "--dns-port", "0", "--log-level", "error"}
	return exec.Command(bin, append(args, extra...)...)
}

// startFloor starts the trivial HTTP server (this binary with
// -floor-serve), or the prototype floor (-floor-serve-proto).
func startFloor(serveFlag string) *server {
	self, err := os.Executable()
	check(err)
	return start("floor", func(port int) *exec.Cmd {
		return exec.Command(self, serveFlag, strconv.Itoa(port))
	})
}

// buildFloorServer builds bench/floorserver into dir and answers the
// binary's path.
func buildFloorServer(dir string) string {
	bin := filepath.Join(dir, "floorserver")
	build := exec.Command("go", "build", "-o", bin, "github.com/niwa-cloud/niwa/bench/floorserver")
	build.Stderr = os.Stderr
	check(build.Run())
	return bin
}

// floorServerCmd is bench/floorserver's binary at bin serving on a port.
func floorServerCmd(bin string) func(port int) *exec.Cmd {
	return func(port int) *exec.Cmd { return exec.Command(bin, "-port", strconv.Itoa(port)) }
}

func stop(s *server) {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	_ = s.cmd.Wait()
}

// selectWorkloads is every workload whose name contains filter, or one
// of its |-separated alternatives ("STS|S3 Get"), case-insensitively; all
// of them when filter is empty.
func selectWorkloads(env benchEnv, filter string) []workload {
	var keep []workload
	for _, w := range allWorkloads(env) {
		for _, f := range strings.Split(filter, "|") {
			if strings.Contains(strings.ToLower(w.name), strings.ToLower(f)) {
				keep = append(keep, w)
				break
			}
		}
	}
	return keep
}

func start(name string, mk func(int) *exec.Cmd) *server {
	port := freePort()
	cmd := mk(port)
	cmd.Stdout, cmd.Stderr = nil, nil
	s := &server{name: name, endpoint: "http://127.0.0.1:" + strconv.Itoa(port), cmd: cmd}
	cfg := config(s.endpoint)
	began := time.Now()
	check(cmd.Start())
	for {
		var err error
		if name == "floor" {
			err = floorGet(s.endpoint)
		} else {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_, err = sts.NewFromConfig(cfg, func(o *sts.Options) { o.RetryMaxAttempts = 1 }).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			cancel()
		}
		if err == nil {
			s.startup = time.Since(began)
			return s
		}
		if time.Since(began) > 60*time.Second {
			panic(fmt.Sprintf("%s did not start: %v", name, err))
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func config(endpoint string) aws.Config {
	return aws.Config{
		Region:       "ap-northeast-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(endpoint),
		HTTPClient:   &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
		// What config.LoadDefaultConfig sets: bodies under 10 KiB go
		// uncompressed (0, the zero value, gzips every PutMetricData).
		RequestMinCompressSizeBytes: 10240,
	}
}

// prepare runs a workload's setup on s and warms connections and caches.
func prepare(s *server, w workload) {
	ctx := context.Background()
	cfg := config(s.endpoint)
	if w.setup != nil {
		check(w.setup(ctx, cfg))
	}
	for i := 0; i < 20; i++ {
		_ = w.op(ctx, cfg, -1-i)
	}
}

// run measures at least n operations of w on s, numbered from first.
func run(s *server, w workload, n, conc int, minCPU time.Duration, first int) result {
	ctx := context.Background()
	cfg := config(s.endpoint)
	var lat []time.Duration
	var errs int
	var mu sync.Mutex
	cpu0 := cpuTime(s.cmd.Process.Pid)
	faults0 := minorFaults(s.cmd.Process.Pid)
	began := time.Now()
	done := 0
	// Batches of n until the server has spent minCPU: /proc/<pid>/stat
	// counts in 10 ms ticks, too coarse for a few thousand fast requests.
	for done == 0 || (cpuTime(s.cmd.Process.Pid)-cpu0 < minCPU && done < 20*n) {
		batch := make([]time.Duration, n)
		var wg sync.WaitGroup
		next := make(chan int)
		for c := 0; c < conc; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					t := time.Now()
					err := w.op(ctx, cfg, first+done+i)
					batch[i] = time.Since(t)
					if err != nil {
						mu.Lock()
						if errs == 0 {
							fmt.Fprintf(os.Stderr, "bench: %s %s: %v\n", s.name, w.name, err)
						}
						errs++
						mu.Unlock()
					}
				}
			}()
		}
		for i := 0; i < n; i++ {
			next <- i
		}
		close(next)
		wg.Wait()
		lat = append(lat, batch...)
		done += n
	}
	elapsed := time.Since(began)
	cpu := cpuTime(s.cmd.Process.Pid) - cpu0
	fmt.Fprintf(os.Stderr, "bench: %s %s: %d ops, %v of server CPU in %v, %d minor page faults\n",
		s.name, w.name, done, cpu, elapsed.Round(time.Millisecond), minorFaults(s.cmd.Process.Pid)-faults0)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return result{ops: done, elapsed: elapsed, p50: lat[done/2], p99: lat[done*99/100], cpuPerOp: cpu / time.Duration(done), errors: errs}
}

// cpuTime is the CPU time pid's threads used (user and system), read from
// the process's CPU-time clock (clock_gettime on the clock id
// clock_getcpuclockid(3) gives, to the nanosecond), or where that is
// refused from /proc/<pid>/stat's utime+stime (10 ms ticks).
func cpuTime(pid int) time.Duration {
	if d, ok := processCPUClock(pid); ok {
		return d
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	check(err)
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	const clkTck = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / clkTck
}

// minorFaults is pid's minor page faults so far (/proc/<pid>/stat's
// minflt): memory the kernel had to map on first touch, for instance heap
// pages the Go runtime returned to the OS and then used again.
func minorFaults(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	n, _ := strconv.ParseInt(fields[7], 10, 64)
	return n
}

func rssKB(pid int) int64 { return readProcMemory(pid).rss }

// procMemory is a process's RSS from /proc/<pid>/status, in KiB: all of
// it, and the anonymous (heaps, stacks) and file-backed (the binary's and
// libraries' pages) parts.
type procMemory struct{ rss, anon, file int64 }

func readProcMemory(pid int) procMemory {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	check(err)
	var m procMemory
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			m.rss = kb
		case "RssAnon:":
			m.anon = kb
		case "RssFile:":
			m.file = kb
		}
	}
	return m
}

func cpuModel() string {
	data, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "model name") {
			return strings.TrimSpace(strings.SplitN(line, ":", 2)[1])
		}
	}
	return "unknown CPU"
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

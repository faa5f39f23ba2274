// Command bench measures niwa side by side with moto's server (the peer
// emulator) on loopback: start-up to first answer, idle RSS, and per
// workload throughput, latency percentiles and server CPU time per
// operation (utime+stime from /proc/<pid>/stat over the measured window).
// On a small machine the load client saturates the CPU long before a fast
// server does, so CPU per operation is the figure that shows the server's
// own cost. Ratios come from one run.
//
//	go run ./bench                 # niwa vs moto, results as Markdown on stdout
//	go run ./bench -n 2000 -only niwa
package main

import (
	"context"
	"flag"
	"fmt"
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
}

type workload struct {
	name  string
	setup func(ctx context.Context, cfg aws.Config) error
	op    func(ctx context.Context, cfg aws.Config, i int) error
}

type result struct {
	ops      int
	elapsed  time.Duration
	p50, p99 time.Duration
	cpuPerOp time.Duration
	errors   int
}

func main() {
	n := flag.Int("n", 1000, "operations per workload")
	conc := flag.Int("c", 4, "concurrent clients")
	only := flag.String("only", "", "run only this server (niwa or moto)")
	filter := flag.String("workload", "", "run only workloads whose name contains this")
	flag.Parse()

	dir, err := os.MkdirTemp("", "niwa-bench-")
	check(err)
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "niwa")
	build := exec.Command("go", "build", "-o", bin, "./cmd/niwa")
	build.Stderr = os.Stderr
	check(build.Run())

	starters := map[string]func(port int) *exec.Cmd{
		"niwa": func(port int) *exec.Cmd {
			return exec.Command(bin, "--port", strconv.Itoa(port), "--dns-port", "0", "--log-level", "error")
		},
		"moto": func(port int) *exec.Cmd {
			return exec.Command("python3", "-m", "moto.server", "-p", strconv.Itoa(port))
		},
	}
	names := []string{"niwa", "moto"}
	if *only != "" {
		names = []string{*only}
	}
	workloads := allWorkloads()
	if *filter != "" {
		var keep []workload
		for _, w := range workloads {
			if strings.Contains(strings.ToLower(w.name), strings.ToLower(*filter)) {
				keep = append(keep, w)
			}
		}
		workloads = keep
	}

	results := map[string]map[string]result{}
	startups := map[string]time.Duration{}
	idle := map[string]int64{}
	for _, name := range names {
		s := start(name, starters[name])
		startups[name] = s.startup
		time.Sleep(500 * time.Millisecond) // let the process settle before reading idle RSS
		idle[name] = rssKB(s.cmd.Process.Pid)
		results[name] = map[string]result{}
		for _, w := range workloads {
			results[name][w.name] = run(s, w, *n, *conc)
		}
		s.cmd.Process.Signal(syscall.SIGTERM)
		s.cmd.Wait()
	}

	fmt.Printf("Machine: %s/%s, %d CPUs, %s; %d ops per workload, %d concurrent clients (aws-sdk-go-v2)\n\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel(), *n, *conc)
	fmt.Println("| measure | " + strings.Join(names, " | ") + " | ratio |")
	fmt.Println("|---|" + strings.Repeat("---|", len(names)) + "---|")
	row := func(label string, vals []float64, unit string, lowerIsBetter bool) {
		cells := make([]string, len(vals))
		for i, v := range vals {
			cells[i] = fmt.Sprintf("%.3g %s", v, unit)
		}
		ratio := ""
		if len(vals) == 2 && vals[0] > 0 && vals[1] > 0 {
			if lowerIsBetter {
				ratio = fmt.Sprintf("moto/niwa = %.1f×", vals[1]/vals[0])
			} else {
				ratio = fmt.Sprintf("niwa/moto = %.1f×", vals[0]/vals[1])
			}
		}
		fmt.Printf("| %s | %s | %s |\n", label, strings.Join(cells, " | "), ratio)
	}
	collect := func(f func(string) float64) []float64 {
		var out []float64
		for _, n := range names {
			out = append(out, f(n))
		}
		return out
	}
	row("start-up to first answer", collect(func(n string) float64 { return ms(startups[n]) }), "ms", true)
	row("idle RSS", collect(func(n string) float64 { return float64(idle[n]) / 1024 }), "MiB", true)
	for _, w := range workloads {
		row(w.name+": server CPU per op", collect(func(n string) float64 { return us(results[n][w.name].cpuPerOp) }), "µs", true)
		row(w.name+": throughput", collect(func(n string) float64 {
			r := results[n][w.name]
			return float64(r.ops) / r.elapsed.Seconds()
		}), "ops/s", false)
		row(w.name+": p50 latency", collect(func(n string) float64 { return ms(results[n][w.name].p50) }), "ms", true)
		row(w.name+": p99 latency", collect(func(n string) float64 { return ms(results[n][w.name].p99) }), "ms", true)
	}
	for _, n := range names {
		for _, w := range workloads {
			if e := results[n][w.name].errors; e > 0 {
				fmt.Printf("\n%s %s: %d errors\n", n, w.name, e)
			}
		}
	}
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
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := sts.NewFromConfig(cfg, func(o *sts.Options) { o.RetryMaxAttempts = 1 }).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		cancel()
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
	}
}

func run(s *server, w workload, n, conc int) result {
	ctx := context.Background()
	cfg := config(s.endpoint)
	if w.setup != nil {
		check(w.setup(ctx, cfg))
	}
	for i := 0; i < 20; i++ { // warm connections and caches
		w.op(ctx, cfg, -1-i)
	}
	lat := make([]time.Duration, n)
	var errs int
	var mu sync.Mutex
	var wg sync.WaitGroup
	next := make(chan int)
	cpu0 := cpuTime(s.cmd.Process.Pid)
	began := time.Now()
	for c := 0; c < conc; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t := time.Now()
				err := w.op(ctx, cfg, i)
				lat[i] = time.Since(t)
				if err != nil {
					mu.Lock()
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
	elapsed := time.Since(began)
	cpu := cpuTime(s.cmd.Process.Pid) - cpu0
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return result{ops: n, elapsed: elapsed, p50: lat[n/2], p99: lat[n*99/100], cpuPerOp: cpu / time.Duration(n), errors: errs}
}

// cpuTime is utime+stime of pid and its threads, from /proc/<pid>/stat.
func cpuTime(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	check(err)
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	const clkTck = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / clkTck
}

func rssKB(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	check(err)
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			kb, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return kb
		}
	}
	return 0
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
	defer l.Close()
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

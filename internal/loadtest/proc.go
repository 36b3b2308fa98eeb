package loadtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// rss is the process's VmRSS in KiB.
func rss(pid int) (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read RSS: %w", err)
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				return strconv.ParseInt(f[0], 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// procStat is the fields of /proc/PID/stat after the command name, whose
// parentheses may hold spaces: index 0 is field 3 (state).
func procStat(pid int) ([]string, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, fmt.Errorf("read /proc/%d/stat: %w", pid, err)
	}
	s := string(raw)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return nil, fmt.Errorf("/proc/%d/stat: %q", pid, s)
	}
	return f, nil
}

// cpuTicks is the process's utime+stime (fields 14 and 15) in clock ticks.
func cpuTicks(pid int) (int64, error) {
	f, err := procStat(pid)
	if err != nil {
		return 0, err
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: utime %q, stime %q", pid, f[11], f[12])
	}
	return u + st, nil
}

// minorFaults is the process's minor page faults (field 10): each is a
// page the kernel had to map in, as when new memory is first touched.
func minorFaults(pid int) (int64, error) {
	f, err := procStat(pid)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(f[7], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("/proc/%d/stat: minflt %q", pid, f[7])
	}
	return n, nil
}

// ownCPU is this process's user and system CPU time.
func ownCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// clockTick is CLK_TCK from getconf, or Linux's usual 100.
func clockTick() int64 {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64); err == nil && n > 0 {
			return n
		}
	}
	return 100
}

// profiler reads a server's net/http/pprof pages.
type profiler struct {
	addr   string // loopback host:port
	client *http.Client
}

func newProfiler(addr string) *profiler {
	return &profiler{addr: addr, client: &http.Client{Timeout: 30 * time.Second}}
}

func (p *profiler) get(ctx context.Context, path string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.addr+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("profiler %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("profiler %s: %s", path, resp.Status)
	}
	return resp.Body, nil
}

// save writes the profile at path (a pprof URL path) to file.
func (p *profiler) save(ctx context.Context, path, file string) error {
	body, err := p.get(ctx, path)
	if err != nil {
		return err
	}
	defer body.Close()
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, body); err != nil {
		_ = f.Close()
		return fmt.Errorf("save %s: %w", file, err)
	}
	return f.Close()
}

// goroutines is the server's goroutine count, from the first line of its
// goroutine profile ("goroutine profile: total N").
func (p *profiler) goroutines(ctx context.Context) (int, error) {
	body, err := p.get(ctx, "/debug/pprof/goroutine?debug=1")
	if err != nil {
		return 0, err
	}
	defer body.Close()
	line, err := bufio.NewReader(body).ReadString('\n')
	if err != nil {
		return 0, fmt.Errorf("goroutine profile: %w", err)
	}
	var n int
	if _, err := fmt.Sscanf(line, "goroutine profile: total %d", &n); err != nil {
		return 0, fmt.Errorf("goroutine profile starts %q", line)
	}
	return n, nil
}

// goMemory is the server's HeapInuse plus its goroutine stacks in use, in
// KiB, right after a collection (the heap profile's gc=1), read from the
// runtime.MemStats the text profile ends with: what live objects and
// goroutines hold, unlike RSS, which also counts memory the runtime keeps
// for reuse and memory outside Go's heap.
func (p *profiler) goMemory(ctx context.Context) (int64, error) {
	body, err := p.get(ctx, "/debug/pprof/heap?debug=1&gc=1")
	if err != nil {
		return 0, err
	}
	defer body.Close()
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	heap, stack := int64(-1), int64(-1)
	for sc.Scan() && (heap < 0 || stack < 0) {
		l := sc.Text()
		if v, ok := strings.CutPrefix(l, "# HeapInuse = "); ok {
			heap, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
		// "# Stack = inuse / sys"
		if v, ok := strings.CutPrefix(l, "# Stack = "); ok {
			inuse, _, _ := strings.Cut(v, " /")
			stack, _ = strconv.ParseInt(strings.TrimSpace(inuse), 10, 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("heap profile: %w", err)
	}
	if heap <= 0 || stack <= 0 {
		return 0, fmt.Errorf("heap profile has no HeapInuse or Stack line")
	}
	return (heap + stack) / 1024, nil
}

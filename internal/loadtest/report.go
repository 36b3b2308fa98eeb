package loadtest

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strings"
	"text/tabwriter"
)

// Target is one of DESIGN.md's performance targets, judged from a set of
// runs.
type Target struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Limit float64 `json:"limit"`
	Unit  string  `json:"unit"`
	Met   bool    `json:"met"`
}

// Report is every run of one invocation and the targets judged from them.
type Report struct {
	Machine struct {
		CPUs int    `json:"cpus"`
		Go   string `json:"go"`
		OS   string `json:"os"`
	} `json:"machine"`
	Runs    []Result `json:"runs"`
	Targets []Target `json:"targets"`
}

// NewReport judges the targets from runs: the portal's cooperative and
// silent runs against the floor's, where each is there.
func NewReport(runs []Result) Report {
	var r Report
	r.Machine.CPUs, r.Machine.Go, r.Machine.OS = runtime.NumCPU(), runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH
	r.Runs = runs
	find := func(server, terminal string) *Result {
		for i := range runs {
			if runs[i].Server == server && runs[i].Terminal == terminal {
				return &runs[i]
			}
		}
		return nil
	}
	floor, portal, silent := find("floor", "cooperative"), find("portal", "cooperative"), find("portal", "silent")
	add := func(name string, value, limit float64, unit string, met bool) {
		r.Targets = append(r.Targets, Target{name, round(value), round(limit), unit, met})
	}
	for _, p := range []*Result{portal, silent} {
		if p == nil {
			continue
		}
		tag := "portal " + p.Terminal
		add(tag+": failures", float64(p.Failures), 0, "", p.Failures == 0)
		limit := 100.0
		if p.Sessions > 500 {
			limit = 300 // DESIGN: while thousands ramp
		}
		add(fmt.Sprintf("%s: first frame p99 at %d sessions", tag, p.Sessions), p.FirstFrame.P99, limit, "ms", p.FirstFrame.P99 < limit)
		if floor != nil && floor.FirstFrame.P50 > 0 {
			add(tag+": first frame p50 vs floor", p.FirstFrame.P50/floor.FirstFrame.P50, 1.3, "x", p.FirstFrame.P50 <= 1.3*floor.FirstFrame.P50)
		}
		if floor != nil && floor.KiBPerSession > 0 {
			add(tag+": memory per idle session vs floor", p.KiBPerSession/floor.KiBPerSession, 1.5, "x", p.KiBPerSession <= 1.5*floor.KiBPerSession)
		}
		if floor != nil && floor.IdleCPU > 0 {
			add(tag+": idle CPU per 1,000 sessions vs floor", p.IdleCPU/floor.IdleCPU, 1, "x", p.IdleCPU <= floor.IdleCPU)
		}
		if p.GoroutinesBefore >= 0 && p.GoroutinesAfter2 >= 0 {
			// A few background goroutines come and go (the profiler's
			// connection, timers); one left per session would show
			// thousands.
			left := float64(max(p.GoroutinesAfter, p.GoroutinesAfter2) - p.GoroutinesBefore)
			add(tag+": goroutines left after close", left, 5, "", left <= 5)
		}
		if p.GoMemAfter >= 0 && p.GoMemAfter2 >= 0 && p.GoMemIdle > p.GoMemBefore {
			// Memory left by the first round may be tables and pools
			// sized by the peak; a second round of as many sessions must
			// not add to it. Allowed: 1% of what the sessions held.
			grew := float64(p.GoMemAfter2-p.GoMemAfter) / float64(p.GoMemIdle-p.GoMemBefore)
			add(tag+": Go memory a second round of sessions leaves, share of what they held", grew, 0.01, "", grew <= 0.01)
		}
		if p.Logins > 0 {
			add(fmt.Sprintf("%s: %d log ins at once, p99", tag, p.Logins), p.Login.P99, 2000, "ms", p.Login.P99 < 2000 && p.Login.N == p.Logins)
		}
	}
	if portal != nil && silent != nil && portal.FirstFrame.P50 > 0 {
		add("silent terminal: first frame p50 vs cooperative", silent.FirstFrame.P50/portal.FirstFrame.P50, 1.3, "x",
			silent.FirstFrame.P50 <= 1.3*portal.FirstFrame.P50)
	}
	return r
}

func round(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

// WriteTable writes the runs side by side and the targets, for people.
func (r Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(name string, f func(Result) string) {
		cells := []string{name}
		for _, run := range r.Runs {
			cells = append(cells, f(run))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
	}
	row("", func(x Result) string { return x.Server + " " + x.Terminal })
	row("sessions (rate/s, sources)", func(x Result) string { return fmt.Sprintf("%d (%d/s, %d)", x.Sessions, x.Rate, x.Sources) })
	q := func(name string, get func(Result) Quantiles) {
		row(name, func(x Result) string {
			v := get(x)
			if v.N == 0 {
				return "-"
			}
			return fmt.Sprintf("%.1f / %.1f / %.1f", v.P50, v.P99, v.Max)
		})
	}
	q("handshake ms p50/p99/max", func(x Result) Quantiles { return x.Handshake })
	q("first byte ms p50/p99/max", func(x Result) Quantiles { return x.FirstByte })
	q("first frame ms p50/p99/max", func(x Result) Quantiles { return x.FirstFrame })
	q("log in ms p50/p99/max", func(x Result) Quantiles { return x.Login })
	perLogin := func(name string, get func(Result) float64) {
		row(name, func(x Result) string {
			if x.Logins == 0 {
				return "-"
			}
			return fmt.Sprintf("%.0f", get(x))
		})
	}
	perLogin("server CPU ms per log in", func(x Result) float64 { return x.LoginCPU })
	perLogin("load client CPU ms per log in", func(x Result) float64 { return x.LoginClientCPU })
	perLogin("page faults per log in", func(x Result) float64 { return x.LoginPageFaults })
	row("failures", func(x Result) string {
		if x.Failures == 0 {
			return "0"
		}
		var kinds []string
		for k, n := range x.FailureKinds {
			kinds = append(kinds, fmt.Sprintf("%s ×%d", k, n))
		}
		return fmt.Sprintf("%d (%s)", x.Failures, strings.Join(kinds, ", "))
	})
	kib := func(v int64) string {
		if v < 0 {
			return "-"
		}
		return fmt.Sprintf("%.1f MiB", float64(v)/1024)
	}
	row("RSS before / idle / after", func(x Result) string {
		return kib(x.RSSBefore) + " / " + kib(x.RSSIdle) + " / " + kib(x.RSSAfter)
	})
	row("RSS peak during log ins", func(x Result) string { return kib(x.RSSLoginPeak) })
	row("KiB per idle session", func(x Result) string { return fmt.Sprintf("%.0f", x.KiBPerSession) })
	row("Go heap+stacks before / idle / after", func(x Result) string {
		return kib(x.GoMemBefore) + " / " + kib(x.GoMemIdle) + " / " + kib(x.GoMemAfter)
	})
	row("Go heap+stacks after a second round", func(x Result) string { return kib(x.GoMemAfter2) })
	row("goroutines after a second round", func(x Result) string {
		if x.GoroutinesAfter2 < 0 {
			return "-"
		}
		return fmt.Sprint(x.GoroutinesAfter2)
	})
	row("Go KiB per idle session", func(x Result) string {
		if x.GoKiBPerSession < 0 {
			return "-"
		}
		return fmt.Sprintf("%.0f", x.GoKiBPerSession)
	})
	row("goroutines before / idle / after", func(x Result) string {
		if x.GoroutinesBefore < 0 {
			return "-"
		}
		return fmt.Sprintf("%d / %d / %d", x.GoroutinesBefore, x.GoroutinesIdle, x.GoroutinesAfter)
	})
	row("goroutines per session", func(x Result) string {
		if x.GoroutinesPerSession < 0 {
			return "-"
		}
		return fmt.Sprintf("%.1f", x.GoroutinesPerSession)
	})
	row("idle CPU ms/s per 1,000", func(x Result) string { return fmt.Sprintf("%.0f", x.IdleCPU) })
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Targets) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "target\tmeasured\tlimit\tmet")
		for _, t := range r.Targets {
			met := "yes"
			if !t.Met {
				met = "NO"
			}
			fmt.Fprintf(tw, "%s\t%g%s\t%g%s\t%s\n", t.Name, t.Value, t.Unit, t.Limit, t.Unit, met)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// WriteJSON writes the report as one line, for scripts.
func (r Report) WriteJSON(w io.Writer) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

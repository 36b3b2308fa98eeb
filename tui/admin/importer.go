package admin

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/progress"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/tui/ui"
)

// fieldPath is the import form's one field.
const fieldPath = "path"

// Import messages, for the console's imports.
type (
	// openImportMsg asks for the import screen: the form, or the running
	// or finished import.
	openImportMsg struct{}
	// startImportMsg hands an opened file to the parent, which runs the
	// import whatever screen is shown.
	startImportMsg struct {
		f      io.ReadCloser
		name   string
		size   int64
		invite bool
	}
	// importProgressMsg and importDoneMsg come from the running import.
	importProgressMsg struct {
		job *importJob
		p   portal.ImportProgress
	}
	importDoneMsg struct {
		job    *importJob
		report *portal.ImportReport
		err    error
	}
	// dismissImportMsg forgets a finished import once its report was read.
	dismissImportMsg struct{}
)

// imports is the console's import: one at a time, run in the background
// whatever screen is shown, and kept once finished until its report was
// read. The model owns it and hands it every message (Update); its line
// (View) sits at the bottom of every tab while it has a job.
type imports struct {
	d       *deps
	clients screen // told when an import ends, so that the new clients show
	job     *importJob
}

func newImports(d *deps, clients screen) *imports { return &imports{d: d, clients: clients} }

// Update acts on msg when it is one of the import's messages; ok reports
// whether it was.
func (im *imports) Update(msg tea.Msg) (cmd tea.Cmd, ok bool) {
	switch msg := msg.(type) {
	case openImportMsg:
		return im.d.goTo(pushMsg{newImporter(im.d, im)}), true
	case startImportMsg:
		if im.job != nil && !im.job.done {
			_ = msg.f.Close()
			return nil, true
		}
		im.job = startImport(im.d, msg)
		return im.job.wait(im.d.sess.Context), true
	case importProgressMsg:
		if msg.job != im.job || im.job.done {
			return nil, true
		}
		im.job.at = msg.p
		return im.job.wait(im.d.sess.Context), true
	case importDoneMsg:
		if msg.job != im.job {
			return nil, true
		}
		j := im.job
		j.done, j.report, j.err = true, msg.report, msg.err
		if msg.report != nil {
			j.at.Lines, j.at.Added = msg.report.Lines, msg.report.Added
		}
		return im.clients.Update(noticeMsg{}), true
	case dismissImportMsg:
		if im.job != nil && im.job.done {
			im.job = nil
		}
		return nil, true
	}
	return nil, false
}

// Shown reports whether the import has a line to show: one runs, or its
// report waits to be read.
func (im *imports) Shown() bool { return im.job != nil }

// View is the import's line in w columns, or "" when it has none.
func (im *imports) View(w int) string {
	if im.job == nil {
		return ""
	}
	return im.job.statusLine(im.d, w)
}

// importJob is an import running (or finished) in the background. It runs
// with the session's values but not its cancellation: an import can be left
// running. Its fields change only in Update, from the messages it sends.
type importJob struct {
	name   string
	size   int64
	invite bool
	at     portal.ImportProgress
	done   bool
	report *portal.ImportReport
	err    error
	bar    progress.Model

	progress chan portal.ImportProgress
	result   chan importDoneMsg
}

// startImport runs the import in its own goroutine and returns the job.
func startImport(d *deps, msg startImportMsg) *importJob {
	j := &importJob{
		name: msg.name, size: msg.size, invite: msg.invite,
		progress: make(chan portal.ImportProgress, 1),
		result:   make(chan importDoneMsg, 1),
		bar:      newBar(d.st),
	}
	ctx := context.WithoutCancel(d.sess.Context)
	svc, a, log := d.svc, d.actor, d.svc.Logger()
	go func() {
		defer func() { _ = msg.f.Close() }()
		defer func() {
			if r := recover(); r != nil {
				log.Error("import panicked", "panic", r)
				j.result <- importDoneMsg{job: j, err: fmt.Errorf("import panicked: %v", r)}
			}
		}()
		r := io.LimitReader(msg.f, portal.MaxImportFile)
		rep, err := svc.ImportClients(ctx, a, r, portal.ImportOptions{Invite: msg.invite, Progress: func(p portal.ImportProgress) {
			// Only the newest progress matters: replace what was not read.
			select {
			case <-j.progress:
			default:
			}
			select {
			case j.progress <- p:
			default:
			}
		}})
		j.result <- importDoneMsg{job: j, report: rep, err: err}
	}()
	return j
}

// wait returns the job's next news: progress, or its end. It gives up with
// the session, so nothing waits on a program that is gone.
func (j *importJob) wait(ctx context.Context) tea.Cmd {
	return func() tea.Msg {
		select {
		case p := <-j.progress:
			return importProgressMsg{job: j, p: p}
		case r := <-j.result:
			return r
		case <-ctx.Done():
			return nil
		}
	}
}

func (j *importJob) percent() float64 {
	if j.done {
		return 1
	}
	if j.size <= 0 {
		return 0
	}
	return min(1, float64(j.at.BytesRead)/float64(j.size))
}

func newBar(st *ui.Styles) progress.Model {
	opts := []progress.Option{progress.WithColorProfile(st.Renderer.ColorProfile()), progress.WithWidth(30)}
	if st.Plain {
		opts = append(opts, progress.WithFillCharacters('#', '-'))
	}
	b := progress.New(opts...)
	b.PercentageStyle = st.Subtle
	return b
}

// statusLine is the line every tab shows while the import runs or once it
// finished.
func (j *importJob) statusLine(d *deps, w int) string {
	st, p := d.st, d.p
	if j.done {
		if j.err != nil && j.report == nil {
			return st.Error.Render(p.T("admin.import.status_failed", d.errText(j.err)))
		}
		r := j.report
		return st.Success.Render(p.T("admin.import.status_done", r.Added, r.Duplicates, r.Failed))
	}
	j.bar.Width = min(30, max(10, w/4))
	return j.bar.ViewAs(j.percent()) + " " + st.Subtle.Render(p.T("admin.import.status_running", clean(j.name), j.at.Lines, j.at.Added))
}

// importer is the import screen: a form (the file's path on the server and
// whether to invite) until an import starts, then its progress, then its
// report. Leaving it does not stop the import.
type importer struct {
	form   *formScreen[startImportMsg]
	invite bool
	imp    *imports
	d      *deps
	w, h   int
	keys   struct{ toggle, back key.Binding }
}

func newImporter(d *deps, imp *imports) *importer {
	p := d.p
	s := &importer{d: d, imp: imp}
	s.keys.toggle = d.bind("ctrl+t", "admin.help.toggle_invite", "ctrl+t")
	s.keys.back = d.bind(p.T("ui.key.esc"), "ui.help.back", "esc")
	s.form = newFormScreen[startImportMsg](d, p.T("admin.import.title"), p.T("admin.import.intro"),
		ui.Field{Key: fieldPath, Label: p.T("admin.field.path"), Placeholder: p.T("admin.placeholder.path"), CharLimit: 4096})
	s.form.self = s
	s.form.more = []key.Binding{s.keys.toggle}
	s.form.intercept = func(msg tea.KeyMsg) bool {
		if key.Matches(msg, s.keys.toggle) {
			s.invite = !s.invite
			return true
		}
		return false
	}
	s.form.extra = func() string {
		box := "[ ] "
		if s.invite {
			box = "[x] "
		}
		return box + p.T("admin.import.invite")
	}
	s.form.submit = func(f *ui.Form) func(ctx context.Context) (startImportMsg, error) {
		path, invite := strings.TrimSpace(f.Value(fieldPath)), s.invite
		svc, a := s.d.svc, s.d.actor
		return func(ctx context.Context) (startImportMsg, error) {
			file, err := svc.OpenImportFile(ctx, a, path)
			if err != nil {
				return startImportMsg{}, err
			}
			return startImportMsg{f: file, name: file.Name, size: file.Size, invite: invite}, nil
		}
	}
	s.form.done = func(m startImportMsg) tea.Cmd { return d.goTo(m) }
	return s
}

func (s *importer) Init() tea.Cmd { return nil }

// job is the console's import, or nil before one starts.
func (s *importer) job() *importJob { return s.imp.job }

func (s *importer) Typing() bool { return s.job() == nil }

// Leave gives up opening the file, if that is on its way (see ui.Leaver);
// an import started goes on.
func (s *importer) Leave() { s.form.Leave() }

func (s *importer) Update(msg tea.Msg) tea.Cmd {
	if s.job() == nil {
		return s.form.Update(msg)
	}
	if km, ok := msg.(tea.KeyMsg); ok && ui.IsKey(km, s.keys.back) {
		if s.job().done {
			return tea.Batch(s.d.goTo(dismissImportMsg{}), s.d.goTo(popMsg{}))
		}
		return s.d.goTo(popMsg{})
	}
	return nil
}

func (s *importer) View() string {
	j := s.job()
	if j == nil {
		return s.form.View()
	}
	st, p := s.d.st, s.d.p
	title := st.Title.Render(p.T("admin.import.title"))
	if !j.done {
		j.bar.Width = min(60, max(10, s.w))
		return ui.Page(title,
			st.Subtle.Render(p.T("admin.import.running", clean(j.name))),
			j.bar.ViewAs(j.percent()),
			p.T("admin.import.counts", j.at.Lines, j.at.Added),
			ui.Para(st.Subtle, p.T("admin.import.leave"), s.w))
	}
	if j.report == nil {
		return ui.Page(title, st.Error.Render("! "+s.d.errText(j.err)))
	}
	r := j.report
	summary := p.T("admin.import.report", r.Lines, r.Added, r.Duplicates, r.Failed)
	var errs []string
	room := max(1, s.h-8)
	for i, e := range r.Errors {
		if i >= room {
			break
		}
		errs = append(errs, st.Error.Render(p.T("admin.import.error_line", e.Line, portal.Message(s.d.p, e.Err))))
	}
	if more := len(r.Errors) - len(errs) + r.MoreErrors; more > 0 {
		errs = append(errs, st.Subtle.Render(p.T("admin.import.more_errors", more)))
	}
	var stopped string
	if j.err != nil {
		stopped = st.Error.Render("! " + s.d.errText(j.err))
	}
	return ui.Page(title, st.Success.Render(summary), strings.Join(errs, "\n"), stopped)
}

func (s *importer) SetSize(w, h int) {
	s.w, s.h = w, h
	s.form.SetSize(w, h)
}

func (s *importer) Keys() []key.Binding {
	if s.job() == nil {
		return s.form.Keys()
	}
	return []key.Binding{s.keys.back}
}

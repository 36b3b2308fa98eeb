package portal_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store"
)

func testKey(t *testing.T) string {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := gossh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(gossh.MarshalAuthorizedKey(sshPub))
}

func TestRequestLifecycle(t *testing.T) {
	ctx := context.Background()
	clock := portaltest.NewClock()
	env := portaltest.New(t, portal.WithClock(clock.Now))
	svc := env.Service
	rt := env.AddRequestType(t, "Contract review", portaltest.ContractFields()...)
	ann := env.AddActiveClient(t, "ann@x.com", "Ann Smith")
	a := portaltest.ClientActor(ann)

	r, err := svc.SubmitRequest(ctx, a, rt.ID, []string{"  Lease   for the shop ", "Line one\nLine two  \n", "2026-12-31", "high"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != vocab.RequestNew || r.Summary != "Lease for the shop" || r.TypeName != "Contract review" {
		t.Fatalf("request = %+v", r)
	}
	team := env.LastMail(t, portaltest.TeamEmail, portal.MailRequestTeam)
	if !strings.Contains(team.Subject, "Ann Smith") || strings.Contains(team.Body, "Lease") || !strings.Contains(team.Body, "requests show 1") {
		t.Fatalf("team mail = %q\n%s", team.Subject, team.Body)
	}

	view, err := svc.RequestPage(ctx, a, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Lease for the shop", "Line one\nLine two", "2026-12-31", "High"}
	for i, f := range view.Fields {
		if f.Value != want[i] {
			t.Errorf("field %d = %q, want %q", i, f.Value, want[i])
		}
	}

	// Staff move it along; each step is news to the client.
	staff := support()
	if _, err := env.Service.AddStaff(ctx, env.Admin(), "sam", vocab.RoleSupport, testKey(t)); err != nil {
		t.Fatal(err)
	}
	for _, st := range []string{vocab.RequestInProgress, vocab.RequestWaiting, vocab.RequestInProgress, vocab.RequestDone} {
		clock.Add(2 * time.Minute)
		if err := svc.SetRequestStatus(ctx, staff, r.ID, st); err != nil {
			t.Fatalf("to %s: %v", st, err)
		}
	}
	if err := svc.SetRequestStatus(ctx, staff, r.ID, vocab.RequestWaiting); portal.AsError(err) == nil || portal.FieldOf(err) != portal.FieldStatus {
		t.Fatalf("done → waiting: err = %v, want a refusal", err)
	}
	if err := svc.AddNote(ctx, staff, r.ID, "Signed copy attached in your file.", false); err != nil {
		t.Fatal(err)
	}
	if err := svc.AddNote(ctx, staff, r.ID, "Client is slow to answer", true); err != nil {
		t.Fatal(err)
	}
	if err := svc.AssignRequest(ctx, staff, r.ID, "sam"); err != nil {
		t.Fatal(err)
	}

	list, err := svc.MyRequests(ctx, a, "", nil, 10)
	if err != nil || len(list) != 1 || !list[0].Unread() || list[0].Status != vocab.RequestDone {
		t.Fatalf("my requests = %+v, %v", list, err)
	}
	view, err = svc.RequestPage(ctx, a, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range view.Events {
		if e.Internal || strings.Contains(e.Body, "slow") {
			t.Fatalf("client sees internal event %+v", e)
		}
	}
	if n, _ := svc.UnreadRequests(ctx, a); n != 0 {
		t.Fatalf("unread after reading = %d", n)
	}
	staffView, err := svc.RequestPage(ctx, staff, r.ID)
	if err != nil || len(staffView.Events) != len(view.Events)+2 {
		t.Fatalf("staff sees %d events, client %d (%v)", len(staffView.Events), len(view.Events), err)
	}

	// The client answers; the team hears of it.
	if err := svc.AddNote(ctx, a, r.ID, "Thank you!", false); err != nil {
		t.Fatal(err)
	}
	if err := svc.AddNote(ctx, a, r.ID, "x", true); err != portal.ErrForbidden {
		t.Fatalf("client internal note: err = %v", err)
	}

	// Another client sees nothing of it.
	bob := portaltest.ClientActor(env.AddActiveClient(t, "bob@x.com", "Bob Jones"))
	if _, err := svc.RequestPage(ctx, bob, r.ID); portal.FieldOf(err) != portal.FieldRequest {
		t.Fatalf("bob opens ann's request: err = %v", err)
	}
	if err := svc.AddNote(ctx, bob, r.ID, "hi", false); portal.FieldOf(err) != portal.FieldRequest {
		t.Fatalf("bob notes ann's request: err = %v", err)
	}
	if err := svc.SetRequestStatus(ctx, bob, r.ID, vocab.RequestDone); err != portal.ErrForbidden {
		t.Fatalf("client sets status: err = %v", err)
	}

	events, err := env.Store.ListAudit(ctx, vocab.AuditQuery{Subject: "ann@x.com", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, e := range events {
		seen[e.Action]++
	}
	for action, n := range map[string]int{"request.submit": 1, "request.status": 4, "request.note": 3, "request.assign": 1} {
		if seen[action] != n {
			t.Errorf("audit %s: %d events, want %d", action, seen[action], n)
		}
	}
}

func TestRequestNoticesAreBatchedPerMinute(t *testing.T) {
	ctx := context.Background()
	clock := portaltest.NewClock()
	env := portaltest.New(t, portal.WithClock(clock.Now))
	svc := env.Service
	rt := env.AddRequestType(t, "Advice", "Question: text, required")
	c := env.AddActiveClient(t, "zoe@x.com", "Zoé Martin")
	if _, err := svc.SetLanguage(ctx, portaltest.ClientActor(c), "fr"); err != nil {
		t.Fatal(err)
	}
	r, err := svc.SubmitRequest(ctx, portaltest.ClientActor(c), rt.ID, []string{"Bail commercial"})
	if err != nil {
		t.Fatal(err)
	}
	staff := portal.System("sam")
	notices := func() []store.OutboxMessage {
		var out []store.OutboxMessage
		for _, m := range env.Mails(t, "zoe@x.com") {
			if m.Kind == portal.MailRequestUpdate {
				out = append(out, m)
			}
		}
		return out
	}

	// Three changes within a minute: one mail telling all three.
	if err := svc.SetRequestStatus(ctx, staff, r.ID, vocab.RequestInProgress); err != nil {
		t.Fatal(err)
	}
	clock.Add(20 * time.Second)
	if err := svc.AddNote(ctx, staff, r.ID, "Nous regardons.", false); err != nil {
		t.Fatal(err)
	}
	if err := svc.AddNote(ctx, staff, r.ID, "internal only", true); err != nil {
		t.Fatal(err)
	}
	clock.Add(20 * time.Second)
	if err := svc.SetRequestStatus(ctx, staff, r.ID, vocab.RequestWaiting); err != nil {
		t.Fatal(err)
	}
	ms := notices()
	if len(ms) != 1 {
		t.Fatalf("%d notices, want 1", len(ms))
	}
	m := ms[0]
	if !strings.Contains(m.Subject, "Du nouveau sur votre demande") || strings.Count(m.Body, "\n- ") != 3 ||
		!strings.Contains(m.Body, "« En cours »") || !strings.Contains(m.Body, "« En attente de vous »") || strings.Contains(m.Body, "Nous regardons") {
		t.Fatalf("notice:\n%s\n%s", m.Subject, m.Body)
	}

	// The worker claims it late (the mail server was down): a change while
	// it is being sent waits a minute from now, not from when it was due.
	clock.Add(5 * time.Minute)
	claimedAt := clock.Now()
	if _, err := env.Store.ClaimMail(ctx, "test", claimedAt, time.Minute, 10); err != nil {
		t.Fatal(err)
	}
	clock.Add(time.Second)
	if err := svc.SetRequestStatus(ctx, staff, r.ID, vocab.RequestDone); err != nil {
		t.Fatal(err)
	}
	ms = notices()
	if len(ms) != 2 {
		t.Fatalf("%d notices, want 2", len(ms))
	}
	if gap := ms[1].NextAttemptAt.Sub(claimedAt); gap < portal.NoticeSpacing {
		t.Fatalf("second notice due %s after the first was claimed, want ≥ %s", gap, portal.NoticeSpacing)
	}
	if strings.Count(ms[1].Body, "\n- ") != 1 || !strings.Contains(ms[1].Body, "« Terminée »") {
		t.Fatalf("second notice:\n%s", ms[1].Body)
	}
}

func TestRequestInputIsChecked(t *testing.T) {
	ctx := context.Background()
	env := portaltest.New(t)
	rt := env.AddRequestType(t, "Contract review", portaltest.ContractFields()...)
	a := portaltest.ClientActor(env.AddActiveClient(t, "ann@x.com", "Ann Smith"))
	ok := []string{"Lease", "", "", "Low"}
	with := func(i int, v string) []string {
		vs := append([]string(nil), ok...)
		vs[i] = v
		return vs
	}
	cases := []struct {
		name   string
		values []string
		field  string
		key    string
	}{
		{"empty required", with(0, "   "), "field0", "error.field.required"},
		{"escape sequence", with(0, "hi\x1b[2J"), "field0", "error.field.bad_chars"},
		{"invalid utf-8", with(1, "a\xffb"), "field1", "error.field.bad_chars"},
		{"bidi override", with(1, "abc\u202edef"), "field1", "error.field.bad_chars"},
		{"huge text", with(0, strings.Repeat("x", portal.MaxTextValueLen+1)), "field0", "error.field.too_long"},
		{"huge multiline", with(1, strings.Repeat("y\n", portal.MaxLongValueLen)), "field1", "error.field.too_long"},
		{"date words", with(2, "next friday"), "field2", "error.request.date"},
		{"date impossible", with(2, "2026-02-30"), "field2", "error.request.no_such_date"},
		{"date day-first", with(2, "31/12/2026"), "field2", "error.request.date"},
		{"date with words after it", with(2, "2026-12-31 at noon"), "field2", "error.request.date"},
		{"month out of range", with(2, "2026-13-01"), "field2", "error.request.no_such_date"},
		{"date out of range", with(2, "0001-01-01"), "field2", "error.request.date_range"},
		{"unknown choice", with(3, "Urgent!"), "field3", "error.request.choice"},
		{"missing choice", with(3, ""), "field3", "error.field.required"},
		{"too few values", ok[:2], portal.FieldRequest, "error.request.type_changed"},
		{"tab then escape", with(1, "a\tb\x1b[31m"), "field1", "error.field.bad_chars"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := env.Service.SubmitRequest(ctx, a, rt.ID, tc.values)
			pe := portal.AsError(err)
			if pe == nil || pe.Field != tc.field || pe.Key != tc.key {
				t.Fatalf("err = %v, want %s on %s", err, tc.key, tc.field)
			}
		})
	}
	if n, _ := env.Service.MyRequests(ctx, a, "", nil, 10); len(n) != 0 {
		t.Fatalf("%d requests stored from bad input", len(n))
	}
	// Checking before the review finds every problem at once.
	problems, err := env.Service.CheckRequest(ctx, a, rt.ID, []string{"", "a\x1bb", "2026-02-30", "Urgent!"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range problems {
		got = append(got, p.Field+" "+p.Key)
	}
	if want := "field0 error.field.required,field1 error.field.bad_chars,field2 error.request.no_such_date,field3 error.request.choice"; strings.Join(got, ",") != want {
		t.Fatalf("CheckRequest = %v, want %s", got, want)
	}
	if problems, err := env.Service.CheckRequest(ctx, a, rt.ID, ok); err != nil || len(problems) != 0 {
		t.Fatalf("CheckRequest of good values = %v, %v", problems, err)
	}
	// Pasted text keeps its tabs' room as spaces rather than being refused.
	r, err := env.Service.SubmitRequest(ctx, a, rt.ID, []string{"Lease\tfor\tthe shop", "Item\tPrice\r\nDesk\t12", "", "Low"})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := env.Service.RequestPage(ctx, a, r.ID); err != nil || v.Fields[0].Value != "Lease for the shop" || v.Fields[1].Value != "Item    Price\nDesk    12" {
		t.Fatalf("tabs: %+v, %v", v, err)
	}
	for _, note := range []string{"", " \n ", "\x07bell", strings.Repeat("z", portal.MaxNoteLen+1)} {
		if err := env.Service.AddNote(ctx, a, 1, note, false); portal.FieldOf(err) != portal.FieldNote {
			t.Errorf("note %q: err = %v, want a refusal on the note", note, err)
		}
	}
}

func TestRequestTypes(t *testing.T) {
	ctx := context.Background()
	env := portaltest.New(t)
	svc := env.Service
	rt := env.AddRequestType(t, "Advice", "Question: text, required")
	a := portaltest.ClientActor(env.AddActiveClient(t, "ann@x.com", "Ann Smith"))

	bad := []struct{ name, spec, key string }{
		{"no colon", "Question text", "error.type.field_spec"},
		{"unknown kind", "Question: number", "error.type.kind"},
		{"one choice", "Pick: choice(Only)", "error.type.choices_count"},
		{"choices on text", "Q: text(a | b)", "error.type.choices_unexpected"},
		{"repeated choice", "Pick: choice(A | a)", "error.type.choice_bad"},
		{"unclosed", "Pick: choice(A | B", "error.type.field_spec"},
		{"escape in label", "Q\x1b]0;x\x07: text", "error.field.bad_chars"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			f, err := portal.ParseFieldSpec(tc.spec)
			if err == nil {
				_, err = svc.AddRequestType(ctx, env.Admin(), portal.TypeInput{Name: "T " + tc.name, Fields: []portal.RequestField{f}})
			}
			if pe := portal.AsError(err); pe == nil || pe.Key != tc.key {
				t.Fatalf("err = %v, want %s", err, tc.key)
			}
		})
	}
	for _, spec := range portaltest.ContractFields() {
		f, err := portal.ParseFieldSpec(spec)
		if err != nil || portal.FormatFieldSpec(f) != spec {
			t.Errorf("%q reads back as %q (%v)", spec, portal.FormatFieldSpec(f), err)
		}
	}
	if _, err := svc.AddRequestType(ctx, env.Admin(), portal.TypeInput{Name: "ADVICE", Fields: []portal.RequestField{{Label: "Q", Kind: "text"}}}); portal.FieldOf(err) != portal.FieldTypeName {
		t.Fatalf("same name in other case: err = %v", err)
	}
	if _, err := svc.AddRequestType(ctx, support(), portal.TypeInput{Name: "New", Fields: []portal.RequestField{{Label: "Q", Kind: "text"}}}); err != portal.ErrForbidden {
		t.Fatalf("support adds a type: err = %v", err)
	}

	// Editing keeps what was submitted; disabling hides the type.
	r, err := svc.SubmitRequest(ctx, a, rt.ID, []string{"Can I sublet?"})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := portal.ParseFieldSpec("Topic: choice(Lease | Other), required")
	if _, err := svc.EditRequestType(ctx, env.Admin(), rt.ID, portal.TypeInput{Name: "Legal advice", Fields: []portal.RequestField{f}}); err != nil {
		t.Fatal(err)
	}
	view, err := svc.RequestPage(ctx, a, r.ID)
	if err != nil || view.Fields[0].Label != "Question" || view.TypeName != "Advice" {
		t.Fatalf("after edit: %+v, %v", view, err)
	}
	// An edit made from an old read is refused, not lost.
	stale := portal.TypeInput{Name: "Advice again", Fields: []portal.RequestField{f}, ReadAt: rt.UpdatedAt.Add(-time.Second)}
	if _, err := svc.EditRequestType(ctx, env.Admin(), rt.ID, stale); portal.AsError(err) == nil || portal.AsError(err).Key != "error.type.changed" {
		t.Fatalf("stale edit: err = %v", err)
	}
	if err := svc.SetRequestTypeDisabled(ctx, env.Admin(), rt.ID, true); err != nil {
		t.Fatal(err)
	}
	if types, _ := svc.RequestTypes(ctx, a); len(types) != 0 {
		t.Fatalf("client sees disabled types: %+v", types)
	}
	if _, err := svc.SubmitRequest(ctx, a, rt.ID, []string{"Lease"}); portal.AsError(err) == nil {
		t.Fatalf("submit to a disabled type: err = %v", err)
	}
	if types, _ := svc.RequestTypes(ctx, env.Admin()); len(types) != 1 || !types[0].Disabled {
		t.Fatalf("staff types = %+v", types)
	}
}

func TestClientAnswerBringsARequestBackFromWaiting(t *testing.T) {
	ctx := context.Background()
	env := portaltest.New(t)
	svc := env.Service
	rt := env.AddRequestType(t, "Advice", "Question: text, required")
	a := portaltest.ClientActor(env.AddActiveClient(t, "ann@x.com", "Ann Smith"))
	r, err := svc.SubmitRequest(ctx, a, rt.ID, []string{"May I sublet?"})
	if err != nil {
		t.Fatal(err)
	}
	staff := portal.System("sam")
	for _, st := range []string{vocab.RequestInProgress, vocab.RequestWaiting} {
		if err := svc.SetRequestStatus(ctx, staff, r.ID, st); err != nil {
			t.Fatal(err)
		}
	}
	if err := svc.AddNote(ctx, a, r.ID, "Here is the lease.", false); err != nil {
		t.Fatal(err)
	}
	v, err := svc.RequestPage(ctx, staff, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := v.Events[len(v.Events)-1]
	if v.Status != vocab.RequestInProgress || last.Kind != vocab.EventStatus || last.AuthorKind != vocab.ActorClient || last.Status != vocab.RequestInProgress {
		t.Fatalf("after the client answered: status %s, last event %+v", v.Status, last)
	}
	// A note on a request not waiting on the client changes nothing.
	if err := svc.AddNote(ctx, a, r.ID, "And the annex.", false); err != nil {
		t.Fatal(err)
	}
	if after, _ := svc.RequestPage(ctx, staff, r.ID); after.Status != vocab.RequestInProgress || len(after.Events) != len(v.Events)+1 {
		t.Fatalf("a note while in progress: status %s, %d events after %d", after.Status, len(after.Events), len(v.Events))
	}
	var team []string
	for _, m := range env.Mails(t, portaltest.TeamEmail) {
		team = append(team, m.Body)
	}
	if all := strings.Join(team, "\n"); !strings.Contains(all, `back to "In progress", as the client answered`) {
		t.Fatalf("the team is not told the request came back:\n%s", all)
	}
}

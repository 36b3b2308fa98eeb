package client

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/store"
	"github.com/clientportal/portal/tui/uitest"
)

// hostile is stored text that would act on a terminal if shown as is:
// colour, a window title, a right-to-left override, a zero-width space, an
// 8-bit CSI and invalid UTF-8.
const hostile = "\x1b[31mRed\x1b]0;pwned\x07 \u202eevil\u200b summary\u009b2J\xff"

// requestData is the portal the request goldens show: Ann, in lang, with
// three requests: one read, one with a hostile summary stored by some
// other path, one the legal team just answered. Times are fixed.
func requestData(t *testing.T, env *portaltest.Env, clk *clock, lang string) {
	t.Helper()
	ctx := context.Background()
	ann := env.AddActiveClient(t, annEmail, "Ann Smith")
	if lang != "" {
		_, err := env.Service.SetLanguage(ctx, portaltest.ClientActor(ann), lang)
		must(t, err)
	}
	contract, docs := addTypes(t, env)

	submit(t, env, ann, docs, "Birth certificate\nPassport")
	clk.add(time.Hour)

	at := clk.now()
	fields, err := json.Marshal([]store.FieldValue{{Label: "Subject\x1b[2J", Kind: store.FieldText, Value: hostile}})
	must(t, err)
	evil := &store.Request{
		ClientID: ann.ID, TypeID: contract.ID, TypeName: "Contract\x1b[5m review", Summary: hostile, Fields: string(fields),
		Status: store.RequestWaiting, CreatedAt: at, UpdatedAt: at, ClientUpdatedAt: at.Add(time.Minute), ClientSeenAt: at,
	}
	must(t, env.Store.CreateRequest(ctx, evil))
	clk.add(time.Hour)

	lease := submit(t, env, ann, contract, "Lease for the shop",
		"The lease runs five years.\nThe rent doubles in year three; is that usual?", "2026-12-31", "High")
	clk.add(30 * time.Minute)
	must(t, env.Service.SetRequestStatus(ctx, staff, lease.ID, store.RequestInProgress))
	must(t, env.Service.AddNote(ctx, staff, lease.ID, "We have read the lease. A doubling of the rent is unusual; we will ask the landlord's lawyer why.\nWe will write again by Friday.", false))
}

// TestGoldenRequests draws the request screens at 80x24 in English and in
// French, as TestGolden does the others.
func TestGoldenRequests(t *testing.T) {
	type words struct{ login, unread, form, confirm, dateErr, list, history, note, discard, lang string }
	langs := map[string]words{
		"": {
			login: "Log in with", unread: "My requests (2 with news)",
			form: "New request: Contract", confirm: "Check your request", dateErr: "Type a date as",
			list: "Updated (UTC)", history: "History", note: "Note on request #3", discard: "Press Esc again",
			lang: "Choose the language",
		},
		"fr": {
			login: "Connectez-vous avec", unread: "Mes demandes (2 avec du nouveau)",
			form: "Nouvelle demande : Contract", confirm: "Vérifiez votre demande", dateErr: "Saisissez une date",
			list: "Mise à jour (UTC)", history: "Historique", note: "Note sur la demande n° 3", discard: "Appuyez de nouveau",
			lang: "Choisissez la langue",
		},
	}
	for lang, w := range langs {
		locale, suffix := "", ""
		if lang != "" {
			locale, suffix = lang+"_FR.UTF-8", "_"+lang
		}
		home := []goldenStep{
			{keys: []string{"l"}, waitFor: w.login},
			{typed: annEmail, keys: []string{"enter"}},
			// The count comes after the greeting, or in the same frame.
			{typed: portaltest.StrongPassword, keys: []string{"enter"}, waitFor: w.unread},
		}
		fill := func(date string) []goldenStep {
			return []goldenStep{
				{keys: []string{"n"}, waitFor: "Document request"},
				{keys: []string{"enter"}, waitFor: w.form},
				{typed: "Lease for the shop", keys: []string{"enter"}},
				{typed: "The lease runs five years.", keys: []string{"enter"}},
				{typed: "Is a doubling of the rent usual?", keys: []string{"tab"}},
				{typed: date, keys: []string{"enter", "right", "right", "right", "enter"}, waitFor: w.confirm},
			}
		}
		list := []goldenStep{{keys: []string{"m"}, waitFor: w.list}}
		page := append(list[:1:1], goldenStep{keys: []string{"enter"}, waitFor: w.history})
		cases := []struct {
			name  string
			steps []goldenStep
		}{
			{"home_requests", nil},
			{"request_types", []goldenStep{{keys: []string{"n"}, waitFor: "Document request"}}},
			{"request_form_error", append(fill("2026-02-30"), goldenStep{keys: []string{"enter"}, waitFor: w.dateErr})},
			{"request_confirm", fill("2026-12-31")},
			{"my_requests", list},
			{"request_page", page},
			{"note_form", append(page[:len(page):len(page)],
				goldenStep{keys: []string{"n"}, waitFor: w.note},
				goldenStep{typed: "Please call me on Monday.", keys: []string{"enter"}},
				goldenStep{typed: "Thanks.", waitFor: "Thanks."},
			)},
			{"note_discard", append(page[:len(page):len(page)],
				goldenStep{keys: []string{"n"}, waitFor: w.note},
				goldenStep{typed: "Please call me on Monday.", keys: []string{"esc"}, waitFor: w.discard},
			)},
			{"request_form_discard", append(fill("2026-12-31")[:2:2],
				goldenStep{typed: "Lease for the shop", keys: []string{"esc"}, waitFor: w.discard},
			)},
			{"language", []goldenStep{{keys: []string{"g"}, waitFor: w.lang}}},
		}
		for _, tc := range cases {
			t.Run(tc.name+suffix, func(t *testing.T) {
				env, clk := newClockEnv(t)
				requestData(t, env, clk, lang)
				sess, _, _ := uitest.Session(t, "ann", "192.0.2.10:50000")
				sess.Locale = locale
				runGolden(t, New(env.Service, sess, ""), append(home[:len(home):len(home)], tc.steps...))
			})
		}
	}
}

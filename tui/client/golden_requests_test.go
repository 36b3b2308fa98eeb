package client

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/portal/vocab"
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
func requestData(t *testing.T, env *portaltest.Env, clk *portaltest.Clock, lang string) {
	t.Helper()
	ctx := context.Background()
	ann := env.AddActiveClient(t, annEmail, "Ann Smith")
	if lang != "" {
		_, err := env.Service.SetLanguage(ctx, portaltest.ClientActor(ann), lang)
		must(t, err)
	}
	contract, docs := addTypes(t, env)

	env.Submit(t, ann, docs.ID, "Birth certificate\nPassport")
	clk.Add(time.Hour)

	at := clk.Now()
	fields, err := json.Marshal([]portal.FieldValue{{Label: "Subject\x1b[2J", Kind: vocab.FieldText, Value: hostile}})
	must(t, err)
	evil := &store.Request{
		ClientID: ann.ID, TypeID: contract.ID, TypeName: "Contract\x1b[5m review", Summary: hostile, Fields: string(fields),
		Status: vocab.RequestWaiting, CreatedAt: at, UpdatedAt: at, ClientUpdatedAt: at.Add(time.Minute), ClientSeenAt: at,
	}
	must(t, env.Store.CreateRequest(ctx, evil))
	clk.Add(time.Hour)

	lease := env.Submit(t, ann, contract.ID, "Lease for the shop",
		"The lease runs five years.\nThe rent doubles in year three; is that usual?", "2026-12-31", "High")
	clk.Add(30 * time.Minute)
	must(t, env.Service.SetRequestStatus(ctx, staff, lease.ID, vocab.RequestInProgress))
	must(t, env.Service.AddNote(ctx, staff, lease.ID, "We have read the lease. A doubling of the rent is unusual; we will ask the landlord's lawyer why.\nWe will write again by Friday.", false))
}

// TestGoldenRequests draws the request screens at 80x24 in English and in
// French, as TestGolden does the others.
func TestGoldenRequests(t *testing.T) {
	type words struct{ login, unread, form, confirm, dateErr, list, history, note, discard, lang, answered string }
	langs := map[string]words{
		"": {
			login: "Log in with", unread: "My requests (2 with news)",
			form: "New request: Contract", confirm: "Check your request", dateErr: "There is no such date",
			list: "Updated (UTC)", history: "History", note: "Note on request #3", discard: "Discard",
			lang: "Choose the language", answered: "Your answer brought",
		},
		"fr": {
			login: "Connectez-vous avec", unread: "Mes demandes (2 avec du nouveau)",
			form: "Nouvelle demande : Contract", confirm: "Vérifiez votre demande", dateErr: "La date 2026-02-30 n'existe pas",
			list: "Mise à jour (UTC)", history: "Historique", note: "Note sur la demande n° 3", discard: "Abandonner",
			lang: "Choisissez la langue", answered: "Votre réponse a remis",
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
		// waiting puts the latest request (#3) in the client's hands.
		waiting := func(t *testing.T, env *portaltest.Env) {
			must(t, env.Service.SetRequestStatus(context.Background(), staff, 3, vocab.RequestWaiting))
		}
		// plainKind is a kind of request with no description.
		plainKind := func(t *testing.T, env *portaltest.Env) {
			rt := env.AddRequestType(t, "Deposition", "Question: text")
			f, err := portal.ParseFieldSpec("Question: text")
			must(t, err)
			_, err = env.Service.EditRequestType(context.Background(), env.Admin(), rt.ID, portal.TypeInput{Name: rt.Name, Fields: []portal.RequestField{f}})
			must(t, err)
		}
		cases := []struct {
			name  string
			steps []goldenStep
			setup func(t *testing.T, env *portaltest.Env)
		}{
			{"home_requests", nil, nil},
			{"request_types", []goldenStep{{keys: []string{"n"}, waitFor: "Document request"}}, nil},
			{"request_types_no_description", []goldenStep{{keys: []string{"n"}, waitFor: "Document request"}}, plainKind},
			// Every problem at once, before the review: the subject left
			// blank, a date that does not exist, no urgency chosen.
			{"request_form_error", append(fill("")[:2:2],
				goldenStep{keys: []string{"enter"}},
				goldenStep{typed: "The lease runs five years.", keys: []string{"tab"}},
				goldenStep{typed: "2026-02-30", keys: []string{"enter", "enter"}, waitFor: w.dateErr},
			), nil},
			{"request_confirm", fill("2026-12-31"), nil},
			{"my_requests", list, nil},
			{"request_page", page, nil},
			{"note_form", append(page[:len(page):len(page)],
				goldenStep{keys: []string{"n"}, waitFor: w.note},
				goldenStep{typed: "Please call me on Monday.", keys: []string{"enter"}},
				goldenStep{typed: "Thanks.", waitFor: "Thanks."},
			), nil},
			{"note_discard", append(page[:len(page):len(page)],
				goldenStep{keys: []string{"n"}, waitFor: w.note},
				goldenStep{typed: "Please call me on Monday.", keys: []string{"esc"}, waitFor: w.discard},
			), nil},
			// The client's note on a request waiting on them brings it back.
			{"request_answered", append(page[:len(page):len(page)],
				goldenStep{keys: []string{"n"}, waitFor: w.note},
				goldenStep{typed: "Here is the lease, all pages signed.", keys: []string{"ctrl+s"}, waitFor: w.answered},
			), waiting},
			{"request_form_discard", append(fill("2026-12-31")[:2:2],
				goldenStep{typed: "Lease for the shop", keys: []string{"esc"}, waitFor: w.discard},
			), nil},
			{"language", []goldenStep{{keys: []string{"g"}, waitFor: w.lang}}, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name+suffix, func(t *testing.T) {
				env, clk := newClockEnv(t)
				requestData(t, env, clk, lang)
				if tc.setup != nil {
					tc.setup(t, env)
				}
				sess, _, _ := uitest.Session(t, "ann", "192.0.2.10:50000")
				sess.Locale = locale
				runGolden(t, New(env.Service, sess, ""), append(home[:len(home):len(home)], tc.steps...))
			})
		}
	}
}

package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clientportal/portal/internal/portal/vocab"
)

func emailsOf(cs []Client) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.EmailNorm)
	}
	return out
}

func TestSearchFindsWordPrefixesAndStaysInStep(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	now := time.Now().UTC()
	cs := []Client{
		{Email: "ann.smith@gmail.com", Name: "Ann Smith", Company: "Hartwell Legal", Status: vocab.StatusActive},
		{Email: "bob@acme-legal.com", Name: "Bob Brown", Company: "Acme Legal LLP", Status: vocab.StatusInvited},
		{Email: "jo@x.com", Name: "Jo Annson", Company: "Smith & Co", Status: vocab.StatusActive},
		{Email: "Zoe@Example.org", Name: "Zoë Smithers", Company: "", Status: vocab.StatusDisabled},
	}
	// CreateClients gives IDs in email order; these are in email order.
	for i := range cs {
		cs[i].CreatedAt, cs[i].UpdatedAt = now, now
	}
	if err := s.CreateClients(ctx, cs); err != nil {
		t.Fatal(err)
	}
	for i, c := range cs {
		if c.ID == 0 || (i > 0 && c.ID <= cs[i-1].ID) || c.Lang != "" {
			t.Fatalf("client %d: id %d lang %q", i, c.ID, c.Lang)
		}
		got, err := s.ClientByID(ctx, c.ID)
		if err != nil || got.EmailNorm != c.EmailNorm || got.Name != c.Name || !got.CreatedAt.Equal(c.CreatedAt.Truncate(time.Microsecond)) && !got.CreatedAt.Equal(c.CreatedAt) {
			t.Fatalf("client %d read back %+v, %v", i, got, err)
		}
	}
	search := func(q vocab.ClientQuery) []string {
		t.Helper()
		got, err := s.ListClients(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return emailsOf(got)
	}
	tests := []struct {
		q    vocab.ClientQuery
		want []string
	}{
		{vocab.ClientQuery{Search: "smith"}, []string{"ann.smith@gmail.com", "jo@x.com", "zoe@example.org"}},
		{vocab.ClientQuery{Search: "SMI"}, []string{"ann.smith@gmail.com", "jo@x.com", "zoe@example.org"}},
		{vocab.ClientQuery{Search: "ann smith"}, []string{"ann.smith@gmail.com", "jo@x.com"}},
		{vocab.ClientQuery{Search: "smith ann"}, []string{"ann.smith@gmail.com", "jo@x.com"}},
		{vocab.ClientQuery{Search: "ann.smith@gm"}, []string{"ann.smith@gmail.com"}},
		{vocab.ClientQuery{Search: "acme"}, []string{"bob@acme-legal.com"}},
		{vocab.ClientQuery{Search: "legal"}, []string{"ann.smith@gmail.com", "bob@acme-legal.com"}},
		{vocab.ClientQuery{Search: "example.org"}, []string{"zoe@example.org"}},
		{vocab.ClientQuery{Search: "zoe"}, []string{"zoe@example.org"}},
		{vocab.ClientQuery{Search: "zoë"}, []string{"zoe@example.org"}},
		{vocab.ClientQuery{Search: "mith"}, nil},   // inside a word: not a word prefix
		{vocab.ClientQuery{Search: "active"}, nil}, // the status is not searched as text
		{vocab.ClientQuery{Search: "smith", Status: vocab.StatusActive}, []string{"ann.smith@gmail.com", "jo@x.com"}},
		{vocab.ClientQuery{Search: "smith", Status: vocab.StatusRejected}, nil},
		{vocab.ClientQuery{Search: `"*) OR name_norm:* NEAR(`}, nil},
		{vocab.ClientQuery{Search: "@@"}, nil},
		{vocab.ClientQuery{Search: "smith", Limit: 1}, []string{"ann.smith@gmail.com"}},
		{vocab.ClientQuery{Search: "smith", Limit: 1, AfterID: cs[0].ID}, []string{"jo@x.com"}},
		{vocab.ClientQuery{Search: "smith", Limit: 1, After: "jo@x.com"}, []string{"zoe@example.org"}},
		{vocab.ClientQuery{Search: "smith", After: "nobody@x.com"}, nil},
	}
	for _, tt := range tests {
		if got := search(tt.q); !slices.Equal(got, tt.want) {
			t.Errorf("%+v: got %v, want %v", tt.q, got, tt.want)
		}
	}

	// Every write path keeps the index in step.
	newName, newCompany := "Ann Walker", "Blackstone"
	if err := s.UpdateClient(ctx, cs[0].ID, ClientUpdate{Name: &newName, Company: &newCompany}); err != nil {
		t.Fatal(err)
	}
	disabled := vocab.StatusDisabled
	if err := s.UpdateClient(ctx, cs[2].ID, ClientUpdate{Status: &disabled}); err != nil {
		t.Fatal(err)
	}
	one := &Client{Email: "eve@smithfield.net", Name: "Eve Stone", Status: vocab.StatusAwaiting, CreatedAt: now, UpdatedAt: now}
	if err := s.CreateClient(ctx, one); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		q    vocab.ClientQuery
		want []string
	}{
		{vocab.ClientQuery{Search: "smith"}, []string{"ann.smith@gmail.com", "jo@x.com", "zoe@example.org", "eve@smithfield.net"}}, // ann keeps her email
		{vocab.ClientQuery{Search: "walker"}, []string{"ann.smith@gmail.com"}},
		{vocab.ClientQuery{Search: "hartwell"}, nil},
		{vocab.ClientQuery{Search: "black"}, []string{"ann.smith@gmail.com"}},
		{vocab.ClientQuery{Search: "smith", Status: vocab.StatusDisabled}, []string{"jo@x.com", "zoe@example.org"}},
		{vocab.ClientQuery{Search: "smith", Status: vocab.StatusActive}, []string{"ann.smith@gmail.com"}},
		{vocab.ClientQuery{Search: "stone", Status: vocab.StatusAwaiting}, []string{"eve@smithfield.net"}},
	} {
		if got := search(tt.q); !slices.Equal(got, tt.want) {
			t.Errorf("after updates %+v: got %v, want %v", tt.q, got, tt.want)
		}
	}
	// The index agrees with its content table.
	if s.Dialect() != "sqlite" {
		return
	}
	if err := s.db.Exec(`INSERT INTO client_search(client_search, rank) VALUES ('integrity-check', 1)`).Error; err != nil {
		t.Fatalf("integrity-check: %v", err)
	}
}

func TestCreateClientsManyAndDuplicates(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	var cs []Client
	for i := range 1234 {
		cs = append(cs, Client{Email: fmt.Sprintf("User%d@Example.com", i), Name: fmt.Sprintf("User %d", i), Status: vocab.StatusInvited})
	}
	if err := s.CreateClients(ctx, cs); err != nil {
		t.Fatal(err)
	}
	n, err := s.CountClients(ctx, "")
	if err != nil || n != 1234 {
		t.Fatalf("count = %d, %v", n, err)
	}
	for _, i := range []int{0, 499, 500, 1233} {
		got, err := s.ClientByEmail(ctx, fmt.Sprintf("user%d@example.com", i))
		if err != nil || got.ID != cs[i].ID || got.Name != cs[i].Name {
			t.Fatalf("client %d: %+v %v (id %d)", i, got, err, cs[i].ID)
		}
	}
	dup := []Client{{Email: "new@example.com", Name: "New", Status: vocab.StatusInvited}, {Email: "USER7@example.com", Name: "Again", Status: vocab.StatusInvited}}
	if err := s.CreateClients(ctx, dup); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("duplicate: got %v, want ErrDuplicate", err)
	}
	if _, err := s.ClientByEmail(ctx, "new@example.com"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a failed CreateClients left rows behind: %v", err)
	}
	got, err := s.ListClients(ctx, vocab.ClientQuery{Search: "user 123", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	// "user" and a word starting "123": 123, 1230-1233.
	if len(got) != 5 {
		t.Fatalf("search user 123: %v", emailsOf(got))
	}
}

func TestMigration0002RollsBack(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	now := time.Now().UTC()
	if err := s.CreateClient(ctx, &Client{Email: "a@x.com", Name: "Ann", Status: vocab.StatusActive, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	down, up := sqliteSearchDown, sqliteSearchUp
	if s.Dialect() == "postgres" {
		down, up = postgresSearchDown, postgresSearchUp
	}
	// Migration 0005 builds on 0002's search column: undone first, and
	// done again last.
	if err := migration0005().Rollback(s.db); err != nil {
		t.Fatal(err)
	}
	if err := execAll(s.db, down); err != nil {
		t.Fatal(err)
	}
	if err := execAll(s.db, up); err != nil {
		t.Fatal(err)
	}
	if err := migration0005().Migrate(s.db); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListClients(ctx, vocab.ClientQuery{Search: "ann"})
	if err != nil || len(got) != 1 {
		t.Fatalf("after rebuild: %v %v", emailsOf(got), err)
	}
}

func TestCreateClientsStoresWhatCreateClientDoes(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	at := time.Date(2025, 3, 4, 5, 6, 7, 891234567, time.UTC)
	later := at.Add(time.Hour)
	odd := "Q\"uote \\ back\tslash \u00e9\u4e16 \x01"
	one := &Client{Email: "one@x.com", Name: odd, Company: odd, Phone: "+1 (555)", Status: vocab.StatusActive, CreatedAt: at, UpdatedAt: at, LastLoginAt: &later, FailedLogins: 3}
	if err := s.CreateClient(ctx, one); err != nil {
		t.Fatal(err)
	}
	many := []Client{{Email: "two@x.com", Name: odd, Company: odd, Phone: "+1 (555)", Status: vocab.StatusActive, CreatedAt: at, UpdatedAt: at, LastLoginAt: &later, FailedLogins: 3}}
	if err := s.CreateClients(ctx, many); err != nil {
		t.Fatal(err)
	}
	type raw struct {
		Name, Company, Phone, Lang, Status, PasswordHash, CreatedAt, UpdatedAt string
		LastLoginAt, LockedUntil                                               *string
		FailedLogins                                                           int
	}
	read := func(id uint64) raw {
		var r raw
		err := s.db.Raw(`SELECT name, company, phone, lang, status, password_hash, CAST(created_at AS TEXT) AS created_at,
			CAST(updated_at AS TEXT) AS updated_at, CAST(last_login_at AS TEXT) AS last_login_at,
			CAST(locked_until AS TEXT) AS locked_until, failed_logins FROM clients WHERE id = ?`, id).Scan(&r).Error
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a, b := read(one.ID), read(many[0].ID)
	if a.Name != odd || a.LastLoginAt == nil || a.LockedUntil != nil {
		t.Fatalf("CreateClient stored %+v", a)
	}
	if fmt.Sprint(a.Name, a.Company, a.Phone, a.Lang, a.Status, a.PasswordHash, a.CreatedAt, a.UpdatedAt, *a.LastLoginAt, a.LockedUntil, a.FailedLogins) !=
		fmt.Sprint(b.Name, b.Company, b.Phone, b.Lang, b.Status, b.PasswordHash, b.CreatedAt, b.UpdatedAt, *b.LastLoginAt, b.LockedUntil, b.FailedLogins) {
		t.Fatalf("CreateClient stored\n%+v\nCreateClients stored\n%+v", a, b)
	}
	got, err := s.ClientByID(ctx, many[0].ID)
	res := s.timeResolution() // PostgreSQL keeps microseconds
	if err != nil || !got.CreatedAt.Equal(at.Truncate(res)) || got.LastLoginAt == nil || !got.LastLoginAt.Equal(later.Truncate(res)) || got.Name != odd {
		t.Fatalf("read back %+v %v", got, err)
	}
}

// TestSearchOtherScripts: words with combining marks (Devanagari, Tamil),
// CJK and letters that lose their accents as an apostrophe are found like
// any other, and hostile query syntax is only text.
func TestSearchOtherScripts(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	now := time.Now().UTC()
	for _, c := range []Client{
		{Email: "priya@x.in", Name: "प्रिया शर्मा", Status: vocab.StatusActive},
		{Email: "kumar@x.in", Name: "குமார் தமிழ்", Status: vocab.StatusActive},
		{Email: "yamada@x.jp", Name: "山田 太郎", Company: "東京法律", Status: vocab.StatusActive},
		// Letters that unaccent makes an apostrophe of.
		{Email: "obrien@x.ie", Name: "Seán Oʼbrien", Company: "ŉa Co", Status: vocab.StatusActive},
	} {
		c.CreatedAt, c.UpdatedAt = now, now
		if err := s.CreateClient(ctx, &c); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		search string
		want   []string
	}{
		{"शर्मा", []string{"priya@x.in"}},
		{"शर", []string{"priya@x.in"}},
		{"தமிழ்", []string{"kumar@x.in"}},
		{"山田", []string{"yamada@x.jp"}},
		{"Oʼbrien", []string{"obrien@x.ie"}},
		{"oʼbr", []string{"obrien@x.ie"}},
		{"sean", []string{"obrien@x.ie"}},
		{"ŉa", []string{"obrien@x.ie"}},
		{`"NEAR(a b) OR * ^x :`, nil},
		{"a b c d e f g h", nil},
	}
	for _, tt := range tests {
		got, err := s.ListClients(ctx, vocab.ClientQuery{Search: tt.search})
		if err != nil {
			t.Fatalf("search %q: %v", tt.search, err)
		}
		if e := emailsOf(got); strings.Join(e, ",") != strings.Join(tt.want, ",") {
			t.Errorf("search %q = %v, want %v", tt.search, e, tt.want)
		}
	}
}

package portal_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/text"
)

// TestClientNames: names people really have are stored as typed, joiners
// and emoji included; a name or company holding a character that does not
// show, or a name without a letter, is refused with a message saying
// which character, in English and French.
func TestClientNames(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	cat, err := text.Load()
	if err != nil {
		t.Fatal(err)
	}
	en, fr := cat.Printer(text.English), cat.Printer(text.French)
	tests := []struct {
		name, client, company string
		field, key            string // "" for accepted
		enMsg, frMsg          string
	}{
		{name: "emoji ZWJ sequence", client: "Zoë 👩\u200d⚖\ufe0f Ünal"},
		{name: "Persian with ZWNJ", client: "مهر\u200cانگیز"},
		{name: "Hindi with ZWJ", client: "क्\u200dष Rao"},
		{name: "wide CJK", client: "山田 太郎", company: "株式会社 山田"},
		{name: "Hangul filler name", client: "\u3164", field: portal.FieldName, key: "error.field.invisible",
			enMsg: "Contains an invisible character (U+3164)", frMsg: "Contient un caractère invisible (U+3164)"},
		{name: "Hangul filler lookalike", client: "Ann\u3164", field: portal.FieldName, key: "error.field.invisible"},
		{name: "halfwidth filler", client: "Ann \uffa0", field: portal.FieldName, key: "error.field.invisible"},
		{name: "choseong filler", client: "\u115f\u1160", field: portal.FieldName, key: "error.field.invisible"},
		{name: "soft hyphen", client: "An\u00adn Smith", field: portal.FieldName, key: "error.field.invisible", enMsg: "(U+00AD)"},
		{name: "word joiner", client: "Ann\u2060 Smith", field: portal.FieldName, key: "error.field.invisible"},
		{name: "invisible separator", client: "Ann\u2063", field: portal.FieldName, key: "error.field.invisible"},
		{name: "Mongolian vowel separator", client: "Ann\u180e", field: portal.FieldName, key: "error.field.invisible"},
		{name: "combining grapheme joiner", client: "A\u034fnn", field: portal.FieldName, key: "error.field.invisible"},
		{name: "Khmer inherent vowel", client: "Ann\u17b5", field: portal.FieldName, key: "error.field.invisible"},
		{name: "tag characters", client: "Ann\U000E0041\U000E0042", field: portal.FieldName, key: "error.field.invisible", enMsg: "(U+E0041)"},
		{name: "ZWJ between Latin letters", client: "An\u200dn", field: portal.FieldName, key: "error.field.invisible"},
		{name: "ZWNJ at the end", client: "Ann\u200c", field: portal.FieldName, key: "error.field.invisible"},
		{name: "variation selector after a letter", client: "Ann\ufe0f", field: portal.FieldName, key: "error.field.invisible"},
		{name: "invisible in company", client: "Ann", company: "Acme\u3164", field: portal.FieldCompany, key: "error.field.invisible"},
		{name: "no letter", client: "👩\u200d⚖\ufe0f", field: portal.FieldName, key: "error.name.no_letter",
			enMsg: "Enter a name with at least one letter.", frMsg: "Saisissez un nom qui contienne au moins une lettre."},
		{name: "digits only", client: "12345", field: portal.FieldName, key: "error.name.no_letter"},
		{name: "zero width space still refused", client: "An\u200bn", field: portal.FieldName, key: "error.field.bad_chars"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			email := fmt.Sprintf("name%d@example.com", i)
			c, err := env.Service.AddClient(ctx, env.Admin(), portal.NewClient{Email: email, Name: tt.client, Company: tt.company})
			if tt.key == "" {
				if err != nil {
					t.Fatalf("AddClient(%+q): %v", tt.client, err)
				}
				stored, err := env.Store.ClientByEmail(ctx, email)
				if err != nil {
					t.Fatal(err)
				}
				if stored.Name != tt.client || stored.Company != tt.company || c.Name != tt.client {
					t.Fatalf("stored %+q / %+q, want %+q / %+q", stored.Name, stored.Company, tt.client, tt.company)
				}
				return
			}
			if got := refusalKey(t, err); got != tt.key || portal.FieldOf(err) != tt.field {
				t.Fatalf("AddClient(%+q): %s on %q, want %s on %q", tt.client, got, portal.FieldOf(err), tt.key, tt.field)
			}
			for _, m := range []struct {
				p    text.Printer
				want string
			}{{en, tt.enMsg}, {fr, tt.frMsg}} {
				msg := portal.Message(m.p, err)
				if strings.HasPrefix(msg, "[") || !strings.Contains(msg, m.want) {
					t.Errorf("message %q, want it to contain %q", msg, m.want)
				}
			}
		})
	}
}

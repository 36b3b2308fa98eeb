package admin

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// TestClientTableAlignsWideAndJoinedNames: in the console's client table,
// names with an emoji ZWJ sequence, wide CJK characters, a Persian ZWNJ and
// emoji with a variation selector take the columns they are measured to
// take: every row is as wide as the header, every email starts in the
// same column, and a name too long for its column ends in "…".
func TestClientTableAlignsWideAndJoinedNames(t *testing.T) {
	env := newEnv(t)
	addClients(t, env,
		[3]string{"ann@example.com", "Ann Smith", "Acme Ltd"},
		[3]string{"zoe@example.com", "Zoë 👩\u200d⚖\ufe0f Ünal", "Ünal ⚖\ufe0f Hukuk"},
		[3]string{"taro@example.com", "山田 太郎", "株式会社山田商事株式会社山田商事"},
		[3]string{"mehr@example.com", "مهر\u200cانگیز", "شرکت\u200cها"},
		[3]string{"ama@example.com", "Ama ❤\ufe0f❤\ufe0f❤\ufe0f Owusu-Ansah Mensah-Bonsu", ""},
	)
	h := newHarness(t, env, adminActor)
	h.RequireView("ann@example.com", "ama@example.com")
	lines := strings.Split(ansi.Strip(h.View()), "\n")
	header := -1
	for i, l := range lines {
		if strings.Contains(l, "Email") && strings.Contains(l, "Name") {
			header = i
			break
		}
	}
	if header < 0 {
		t.Fatalf("no table header in\n%s", strings.Join(lines, "\n"))
	}
	wantWidth := ansi.StringWidth(lines[header])
	emailCol := ansi.StringWidth(lines[header][:strings.Index(lines[header], "Email")])
	for _, email := range []string{"ann@", "zoe@", "taro@", "mehr@", "ama@"} {
		var row string
		for _, l := range lines {
			if strings.Contains(l, email) {
				row = l
			}
		}
		if row == "" {
			t.Fatalf("no row for %s in\n%s", email, strings.Join(lines, "\n"))
		}
		if w := ansi.StringWidth(row); w != wantWidth {
			t.Errorf("row of %s is %d columns wide, header %d:\n%s\n%s", email, w, wantWidth, lines[header], row)
		}
		if col := ansi.StringWidth(row[:strings.Index(row, email)]); col != emailCol {
			t.Errorf("email %s starts in column %d, header's Email in %d:\n%s\n%s", email, col, emailCol, lines[header], row)
		}
		if email == "ama@" && !strings.Contains(row, "…") {
			t.Errorf("long name cut without an ellipsis:\n%s", row)
		}
	}
	if t.Failed() {
		t.Logf("view:\n%s", strings.Join(lines, "\n"))
	}
}

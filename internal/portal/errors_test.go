package portal_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/clientportal/portal/internal/auth"
	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/text"
)

// TestMessageOfInternalFailures: what a person reads for a failure that
// is not a refusal, in both languages.
func TestMessageOfInternalFailures(t *testing.T) {
	cat, err := text.Load()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		err    error
		en, fr string
	}{
		{"hashing pool busy", fmt.Errorf("log in: %w", fmt.Errorf("auth: verify: %w", auth.ErrBusy)),
			"The portal is busy; try again in a moment.", "Le portail est très sollicité ; réessayez dans un instant."},
		{"anything else", errors.New("boom"),
			"Something went wrong on our side. Please try again in a moment.", "Une erreur s'est produite de notre côté. Veuillez réessayer dans un instant."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := portal.Message(cat.Printer(text.English), tt.err); got != tt.en {
				t.Errorf("English: %q, want %q", got, tt.en)
			}
			if got := portal.Message(cat.Printer(text.French), tt.err); got != tt.fr {
				t.Errorf("French: %q, want %q", got, tt.fr)
			}
		})
	}
}

// Package text holds every string a person reads (the message catalog, one
// folder of JSON files per language) and the sanitizer that makes
// user-supplied text safe to show on a terminal or write to a log.
package text

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// Lang is a language tag the catalog has messages for.
type Lang string

// The languages of the catalog. English is the fallback for a missing key.
const (
	English Lang = "en"
	French  Lang = "fr"
)

//go:embed locales
var locales embed.FS

// Catalog maps a message key to its text in each language. It is read once
// at start and never changed, so one Catalog serves every session.
type Catalog struct {
	messages map[Lang]map[string]string
}

// Load reads the embedded catalog: every locales/LANG/*.json file is a flat
// object of key to message; a key defined twice in one language is an error.
func Load() (*Catalog, error) {
	return LoadFS(locales, "locales")
}

// LoadFS reads a catalog laid out like the embedded one from fsys.
func LoadFS(fsys fs.FS, root string) (*Catalog, error) {
	c := &Catalog{messages: map[Lang]map[string]string{}}
	dirs, err := fs.ReadDir(fsys, root)
	if err != nil {
		return nil, fmt.Errorf("read catalog: %w", err)
	}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		lang := Lang(d.Name())
		msgs := map[string]string{}
		files, err := fs.Glob(fsys, path.Join(root, d.Name(), "*.json"))
		if err != nil {
			return nil, fmt.Errorf("read catalog %s: %w", lang, err)
		}
		for _, f := range files {
			raw, err := fs.ReadFile(fsys, f)
			if err != nil {
				return nil, fmt.Errorf("read catalog file %s: %w", f, err)
			}
			var part map[string]string
			if err := json.Unmarshal(raw, &part); err != nil {
				return nil, fmt.Errorf("parse catalog file %s: %w", f, err)
			}
			for k, v := range part {
				if _, dup := msgs[k]; dup {
					return nil, fmt.Errorf("catalog %s: key %q defined twice (again in %s)", lang, k, f)
				}
				msgs[k] = v
			}
		}
		c.messages[lang] = msgs
	}
	if _, ok := c.messages[English]; !ok {
		return nil, fmt.Errorf("catalog: no %q messages", English)
	}
	return c, nil
}

// Langs lists the languages the catalog has, sorted.
func (c *Catalog) Langs() []Lang {
	out := make([]Lang, 0, len(c.messages))
	for l := range c.messages {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Keys lists the keys defined in one language, sorted.
func (c *Catalog) Keys(lang Lang) []string {
	out := make([]string, 0, len(c.messages[lang]))
	for k := range c.messages[lang] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Has reports whether key is defined in English, the reference language.
func (c *Catalog) Has(key string) bool {
	_, ok := c.messages[English][key]
	return ok
}

// Printer returns the messages of one language; an unknown language gets
// English.
func (c *Catalog) Printer(lang Lang) Printer {
	if _, ok := c.messages[lang]; !ok {
		lang = English
	}
	return Printer{c: c, lang: lang}
}

// ParseLang maps a locale such as "fr_CA.UTF-8" or "fr" to a catalog
// language, or "" when the catalog has none for it.
func (c *Catalog) ParseLang(locale string) Lang {
	l := strings.ToLower(locale)
	if i := strings.IndexAny(l, "_.-@"); i >= 0 {
		l = l[:i]
	}
	if _, ok := c.messages[Lang(l)]; ok {
		return Lang(l)
	}
	return ""
}

// Printer formats the catalog's messages in one language. The zero Printer
// is not usable; get one from Catalog.Printer.
type Printer struct {
	c    *Catalog
	lang Lang
}

// Lang is the language this printer speaks.
func (p Printer) Lang() Lang { return p.lang }

// T returns the message for key, formatted with args as fmt.Sprintf does. A
// key missing in this language falls back to English; a key missing in
// English shows as "[key]" so that it is seen and fixed, never blank.
func (p Printer) T(key string, args ...any) string {
	msg, ok := p.c.messages[p.lang][key]
	if !ok {
		msg, ok = p.c.messages[English][key]
	}
	if !ok {
		return "[" + key + "]"
	}
	// A message without verbs ignores its arguments rather than growing
	// "%!(EXTRA …)"; messages with several use indexed verbs (%[2]s) for
	// the same reason, so a translation may use a subset in any order.
	if len(args) == 0 || !strings.Contains(msg, "%") {
		return msg
	}
	return fmt.Sprintf(msg, args...)
}

package commands_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdJSON checks the last stdout as JSON.
//
//	json PATH            the value at PATH exists (! json PATH: it does not)
//	json PATH WANT       it equals the JSON WANT (! json PATH WANT: it does not)
//	json -all PATH WANT  every value PATH reaches equals WANT (without WANT: exists)
//	json -unique PATH    the values PATH reaches are all different
//	json -desc PATH      they are numbers, each below the one before
//	json -set VAR PATH   sets $VAR to the value (a string without its quotes)
//
// PATH is dot-separated: an object key, an array index, len for an array's
// length, * for every element of an array (the values then form an
// array). "." is the whole document.
func cmdJSON(ts *testscript.TestScript, neg bool, args []string) {
	mode := ""
	if len(args) > 0 && strings.HasPrefix(args[0], "-") {
		mode, args = args[0], args[1:]
	}
	if len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: json [-all|-unique|-desc|-set VAR] PATH [WANT]")
	}
	setVar := ""
	if mode == "-set" {
		if len(args) != 2 || neg {
			ts.Fatalf("usage: json -set VAR PATH")
		}
		setVar, args = args[0], args[1:]
	}
	var doc any
	if err := json.Unmarshal([]byte(ts.ReadFile("stdout")), &doc); err != nil {
		ts.Fatalf("stdout is not JSON: %v\n%s", err, abbreviate(ts.ReadFile("stdout")))
	}
	got, ok := jsonPath(doc, args[0])
	switch mode {
	case "-set":
		if !ok {
			ts.Fatalf("%s: absent", args[0])
		}
		if str, isStr := got.(string); isStr {
			ts.Setenv(setVar, str)
		} else {
			ts.Setenv(setVar, encode(got))
		}
	case "":
		if len(args) == 1 {
			if ok == neg {
				ts.Fatalf("%s: present %v, want %v", args[0], ok, !neg)
			}
			return
		}
		want := canonical(ts, args[1])
		if !ok {
			ts.Fatalf("%s: absent", args[0])
		}
		if (encode(got) == want) == neg {
			ts.Fatalf("%s = %s, want %s%s", args[0], abbreviate(encode(got)), map[bool]string{true: "not "}[neg], want)
		}
	case "-all", "-unique", "-desc":
		list, isList := got.([]any)
		if !ok || !isList || neg {
			ts.Fatalf("%s: not a list of values (use * in the path)", args[0])
		}
		seen := map[string]bool{}
		for i, v := range list {
			e := encode(v)
			switch mode {
			case "-all":
				if len(args) < 2 {
					continue // every element has the value
				}
				if want := canonical(ts, args[1]); e != want {
					ts.Fatalf("%s: element %d is %s, want %s", args[0], i, e, want)
				}
			case "-unique":
				if seen[e] {
					ts.Fatalf("%s: %s appears twice", args[0], e)
				}
				seen[e] = true
			case "-desc":
				if i > 0 && v.(float64) >= list[i-1].(float64) {
					ts.Fatalf("%s: element %d (%s) is not below the one before", args[0], i, e)
				}
			}
		}
	default:
		ts.Fatalf("unknown json mode %s", mode)
	}
}

func jsonPath(v any, path string) (any, bool) {
	if path == "." {
		return v, true
	}
	parts := strings.Split(path, ".")
	for i, part := range parts {
		switch x := v.(type) {
		case []any:
			switch part {
			case "len":
				v = float64(len(x))
				continue
			case "*":
				out := []any{}
				rest := strings.Join(parts[i+1:], ".")
				for _, e := range x {
					if rest == "" {
						out = append(out, e)
					} else if got, ok := jsonPath(e, rest); ok {
						out = append(out, got)
					} else {
						return nil, false
					}
				}
				return out, true
			}
			n, err := strconv.Atoi(part)
			if err != nil || n < 0 || n >= len(x) {
				return nil, false
			}
			v = x[n]
		case map[string]any:
			e, ok := x[part]
			if !ok {
				return nil, false
			}
			v = e
		default:
			return nil, false
		}
	}
	return v, true
}

func encode(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// canonical re-encodes the JSON s so that equal values compare equal.
func canonical(ts *testscript.TestScript, s string) string {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		ts.Fatalf("want %q is not JSON: %v", s, err)
	}
	return encode(v)
}

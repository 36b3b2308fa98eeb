package portal

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	gossh "golang.org/x/crypto/ssh"

	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store"
	"github.com/clientportal/portal/internal/text"
)

// MaxStaffNameLen caps a staff name.
const MaxStaffNameLen = 100

// StaffByKey finds the staff member who owns key; ErrUnknownStaffKey when
// none does.
func (s *Service) StaffByKey(ctx context.Context, key gossh.PublicKey) (*StaffMember, error) {
	st, err := s.store.StaffByFingerprint(ctx, gossh.FingerprintSHA256(key))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrUnknownStaffKey
	}
	if err != nil {
		return nil, fmt.Errorf("find staff key: %w", err)
	}
	return staffView(st), nil
}

// IsStaffKey reports whether a staff member owns key, for the handshake.
// A database that does not answer refuses all the same (fail closed), and
// says why in the log, since staff see only "permission denied".
func (s *Service) IsStaffKey(ctx context.Context, key gossh.PublicKey) bool {
	_, err := s.StaffByKey(ctx, key)
	if err != nil && !errors.Is(err, ErrUnknownStaffKey) && ctx.Err() == nil {
		s.log.Error("staff key check failed: staff are refused until the database answers",
			"err", text.Sanitize(err.Error()))
	}
	return err == nil
}

// OpenStaffSession begins staff session id (a console or a command) of the
// connection that key signed. The key's owner is looked up again, since the
// key may have been removed since the handshake (ErrUnknownStaffKey), and the
// session is bound to them, so that removing the key calls end (no binding
// when end is nil). A database failure is logged here: the door shows only
// the catalog's internal error.
func (s *Service) OpenStaffSession(ctx context.Context, key gossh.PublicKey, remoteAddr, id string, end func()) (Actor, error) {
	st, err := s.StaffByKey(ctx, key)
	if err != nil {
		if AsError(err) == nil && ctx.Err() == nil {
			s.log.Error("staff key check failed", "err", text.Sanitize(err.Error()))
		}
		return Actor{}, err
	}
	a := StaffActor(st, remoteAddr)
	if end != nil {
		s.BindStaffSession(ctx, a, id, end)
	}
	return a, nil
}

// ListStaff lists staff keys. Admins only.
func (s *Service) ListStaff(ctx context.Context, a Actor) ([]StaffMember, error) {
	if err := s.authorize(ctx, a, ActManageStaff); err != nil {
		return nil, err
	}
	staff, err := s.store.ListStaff(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]StaffMember, len(staff))
	for i := range staff {
		out[i] = *staffView(&staff[i])
	}
	return out, nil
}

// StaffNames lists the staff members' names, sorted, each once: whom a
// request can be assigned to. Any staff member (keys and roles stay
// admin-only, in ListStaff).
func (s *Service) StaffNames(ctx context.Context, a Actor) ([]string, error) {
	if err := s.requireStaff(ctx, a); err != nil {
		return nil, err
	}
	return s.store.StaffNames(ctx)
}

// ParseAuthorizedKey reads one authorized_keys line and returns the key and
// its comment.
func ParseAuthorizedKey(line string) (gossh.PublicKey, string, error) {
	line = strings.TrimSpace(line)
	if line == "" {
		return nil, "", refuse(FieldKey, "error.staff.key_required")
	}
	if len(line) > 16*1024 || !utf8.ValidString(line) {
		return nil, "", refuse(FieldKey, "error.staff.key_invalid")
	}
	key, comment, _, _, err := gossh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		return nil, "", refuse(FieldKey, "error.staff.key_invalid")
	}
	return key, text.Sanitize(comment), nil
}

// AddStaff registers a public key (an authorized_keys line) for a staff
// member with a role. Admins only.
func (s *Service) AddStaff(ctx context.Context, a Actor, name, role, authorizedKey string) (*StaffMember, error) {
	if err := s.authorize(ctx, a, ActManageStaff); err != nil {
		return nil, err
	}
	name, err := cleanText(FieldStaffName, name, MaxStaffNameLen, true)
	if err != nil {
		return nil, err
	}
	if strings.ContainsAny(name, " \t") {
		return nil, refuse(FieldStaffName, "error.staff.name_spaces")
	}
	role = strings.ToLower(strings.TrimSpace(role))
	if !slices.Contains(vocab.Roles(), role) {
		return nil, refuse(FieldRole, "error.staff.role_invalid")
	}
	key, _, err := ParseAuthorizedKey(authorizedKey)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	var st *store.Staff
	err = s.tx(ctx, func(tx *store.Store) error {
		st = &store.Staff{ // afresh in each run of a retried transaction
			Name:        name,
			Role:        role,
			PublicKey:   strings.TrimSpace(string(gossh.MarshalAuthorizedKey(key))),
			Fingerprint: gossh.FingerprintSHA256(key),
			CreatedAt:   now,
		}
		if err := tx.CreateStaff(ctx, st); err != nil {
			if errors.Is(err, store.ErrDuplicate) {
				return refuse(FieldKey, "error.staff.key_exists", st.Fingerprint)
			}
			return err
		}
		return s.audit(ctx, tx, a, vocab.AuditStaffAdd, name, role+" "+st.Fingerprint)
	})
	if err != nil {
		return nil, fmt.Errorf("add staff %q: %w", name, err)
	}
	return staffView(st), nil
}

// RemoveStaff removes every key of a staff member. Admins only; the last
// admin cannot be removed, so the console is never left without one.
func (s *Service) RemoveStaff(ctx context.Context, a Actor, name string) error {
	if err := s.authorize(ctx, a, ActManageStaff); err != nil {
		return err
	}
	if a.Kind == vocab.ActorStaff && name == a.Name {
		// Removing oneself would leave this console without rights in the
		// middle of its work: another admin does it.
		return refuse(FieldStaffName, "error.staff.self")
	}
	var keys []string
	err := s.tx(ctx, func(tx *store.Store) error {
		keys = nil
		others, err := tx.CountAdminNames(ctx, name)
		if err != nil {
			return err
		}
		all, err := tx.CountAdminNames(ctx, "")
		if err != nil {
			return err
		}
		if all > 0 && others == 0 {
			return refuse(FieldStaffName, "error.staff.last_admin")
		}
		keys, err = tx.DeleteStaffByName(ctx, name)
		if err != nil {
			return err
		}
		if len(keys) == 0 {
			return refuse(FieldStaffName, "error.staff.not_found", name)
		}
		// Their consoles and commands still open end too, on every
		// instance: a removed member keeps nothing running.
		for _, k := range keys {
			if err := s.tellStaffSessionEnd(ctx, tx, k); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, a, vocab.AuditStaffRemove, name, fmt.Sprintf("keys removed: %d", len(keys)))
	})
	if err != nil {
		return fmt.Errorf("remove staff %q: %w", name, err)
	}
	for _, k := range keys {
		s.sessions.EndStaff(k)
	}
	return nil
}

// RemoveStaffKey removes one staff key, by its SHA256 fingerprint: a lost
// laptop's key goes, the person's other keys stay. Admins only; not the key
// the admin is connected with, and never the last admin key.
func (s *Service) RemoveStaffKey(ctx context.Context, a Actor, fingerprint string) error {
	if err := s.authorize(ctx, a, ActManageStaff); err != nil {
		return err
	}
	fingerprint = strings.TrimSpace(fingerprint)
	if a.Kind == vocab.ActorStaff && fingerprint == a.Key {
		return refuse(FieldKey, "error.staff.self_key")
	}
	err := s.tx(ctx, func(tx *store.Store) error {
		st, err := tx.StaffByFingerprint(ctx, fingerprint)
		if errors.Is(err, store.ErrNotFound) {
			return refuse(FieldKey, "error.staff.key_not_found", fingerprint)
		}
		if err != nil {
			return err
		}
		if st.Role == vocab.RoleAdmin {
			others, err := tx.CountAdminKeys(ctx, fingerprint)
			if err != nil {
				return err
			}
			if others == 0 {
				return refuse(FieldKey, "error.staff.last_admin")
			}
		}
		if _, err := tx.DeleteStaffKey(ctx, fingerprint); err != nil {
			return err
		}
		if err := s.tellStaffSessionEnd(ctx, tx, fingerprint); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, vocab.AuditStaffRemoveKey, st.Name, fingerprint)
	})
	if err != nil {
		return fmt.Errorf("remove staff key %s: %w", fingerprint, err)
	}
	s.sessions.EndStaff(fingerprint)
	return nil
}

// RegisterInitialAdmins registers, as admins, the keys in entries: each is
// an authorized_keys line or the path of a file of them. Keys registered
// already are left as they are, so this is safe at every start. It returns
// how many keys were added.
func (s *Service) RegisterInitialAdmins(ctx context.Context, entries []string) (int, error) {
	var lines []string
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if _, _, err := ParseAuthorizedKey(e); err == nil {
			lines = append(lines, e)
			continue
		}
		data, err := os.ReadFile(expandHome(e))
		if err != nil {
			return 0, fmt.Errorf("initial admin key %q: not a public key, and not a readable file: %w", e, err)
		}
		for _, l := range strings.Split(string(data), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				lines = append(lines, l)
			}
		}
	}
	added := 0
	for _, l := range lines {
		key, comment, err := ParseAuthorizedKey(l)
		if err != nil {
			return added, fmt.Errorf("initial admin key %q: %w", truncateForError(l), err)
		}
		if _, err := s.StaffByKey(ctx, key); err == nil {
			continue
		}
		name := adminNameFromComment(comment)
		if _, err := s.AddStaff(ctx, System("initial-admin-key"), name, vocab.RoleAdmin, l); err != nil {
			return added, err
		}
		added++
	}
	return added, nil
}

// adminNameFromComment turns a key comment such as "ann@laptop" into a
// staff name ("ann"), or "admin".
func adminNameFromComment(comment string) string {
	name := comment
	if i := strings.IndexByte(name, '@'); i >= 0 {
		name = name[:i]
	}
	name = strings.Join(strings.Fields(name), "-")
	if name == "" || utf8.RuneCountInString(name) > MaxStaffNameLen {
		return "admin"
	}
	return name
}

func expandHome(path string) string {
	if strings.HasPrefix(path, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return home + path[1:]
		}
	}
	return path
}

func truncateForError(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

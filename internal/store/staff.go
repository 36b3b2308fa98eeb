package store

import (
	"context"
	"fmt"

	"github.com/clientportal/portal/internal/portal/vocab"
)

// CreateStaff registers a staff key. A key registered already gives
// ErrDuplicate.
func (s *Store) CreateStaff(ctx context.Context, st *Staff) error {
	if err := s.with(ctx).Create(st).Error; err != nil {
		return fmt.Errorf("create staff %q: %w", st.Name, duplicate(err))
	}
	return nil
}

// StaffByFingerprint finds the staff key with this SHA256 fingerprint.
func (s *Store) StaffByFingerprint(ctx context.Context, fp string) (*Staff, error) {
	var st Staff
	if err := s.with(ctx).Where("fingerprint = ?", fp).Take(&st).Error; err != nil {
		return nil, notFound(err)
	}
	return &st, nil
}

// ListStaff lists every staff key by name.
func (s *Store) ListStaff(ctx context.Context) ([]Staff, error) {
	var out []Staff
	if err := s.with(ctx).Order("name, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list staff: %w", err)
	}
	return out, nil
}

// StaffNames lists the distinct staff names, sorted.
func (s *Store) StaffNames(ctx context.Context) ([]string, error) {
	var out []string
	if err := s.with(ctx).Model(&Staff{}).Distinct("name").Order("name").Pluck("name", &out).Error; err != nil {
		return nil, fmt.Errorf("list staff names: %w", err)
	}
	return out, nil
}

// DeleteStaffByName removes every key of the named staff member and returns
// their fingerprints (none when there was no such member), so that the
// sessions open with them can be ended.
func (s *Store) DeleteStaffByName(ctx context.Context, name string) ([]string, error) {
	var fingerprints []string
	if err := s.with(ctx).Model(&Staff{}).Where("name = ?", name).Pluck("fingerprint", &fingerprints).Error; err != nil {
		return nil, fmt.Errorf("remove staff %q: %w", name, err)
	}
	if len(fingerprints) == 0 {
		return nil, nil
	}
	if err := s.with(ctx).Where("name = ?", name).Delete(&Staff{}).Error; err != nil {
		return nil, fmt.Errorf("remove staff %q: %w", name, err)
	}
	return fingerprints, nil
}

// CountAdminNames counts the distinct staff names with the admin role,
// optionally leaving one name out.
func (s *Store) CountAdminNames(ctx context.Context, except string) (int64, error) {
	var n int64
	err := s.with(ctx).Model(&Staff{}).Where("role = ? AND name <> ?", vocab.RoleAdmin, except).
		Distinct("name").Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count admins: %w", err)
	}
	return n, nil
}

// DeleteStaffKey removes one staff key by fingerprint and reports whether
// there was one.
func (s *Store) DeleteStaffKey(ctx context.Context, fingerprint string) (bool, error) {
	res := s.with(ctx).Where("fingerprint = ?", fingerprint).Delete(&Staff{})
	if res.Error != nil {
		return false, fmt.Errorf("remove staff key %s: %w", fingerprint, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// CountAdminKeys counts the admin keys but the one named.
func (s *Store) CountAdminKeys(ctx context.Context, exceptFingerprint string) (int64, error) {
	var n int64
	err := s.with(ctx).Model(&Staff{}).Where("role = ? AND fingerprint <> ?", vocab.RoleAdmin, exceptFingerprint).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count admin keys: %w", err)
	}
	return n, nil
}

// CountStaffNamed counts the keys of the staff member called name.
func (s *Store) CountStaffNamed(ctx context.Context, name string) (int64, error) {
	var n int64
	if err := s.with(ctx).Model(&Staff{}).Where("name = ?", name).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count staff named %q: %w", name, err)
	}
	return n, nil
}

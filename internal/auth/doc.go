// Package auth holds the portal's credential primitives: argon2id password
// hashing with a bound on concurrent work, the NIST SP 800-63B password
// policy, invitation tokens, emailed one-time codes and the lockout schedule.
//
// It is a pure library. Counters, expiry and single use live in the store;
// user-facing wording lives in the text catalog, so this package returns
// typed errors and reasons for callers to map.
package auth

package server

import (
	"context"
	"encoding/base64"
	"errors"
	"runtime/debug"

	"github.com/charmbracelet/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// Permission extensions recording the key that really signed. x/crypto
// returns the Permissions of the key that completed authentication, so they
// are read after the handshake instead of anything the callbacks saw.
const (
	extVerifiedKey  = "portal-verified-key"
	extVerifiedUser = "portal-verified-user"
	// libKeyExt is where charmbracelet/ssh looks for the key behind
	// Session.PublicKey(); it is filled only with a verified key too.
	libKeyExt = "gliderlabs/ssh.PublicKey"
)

// errDenied is the one refusal every failed attempt gets, so an unknown key
// on the staff user looks the same as a wrong one.
var errDenied = errors.New("permission denied")

// serverConfig is called once per connection; charmbracelet/ssh adds the host
// keys to what it returns.
func (s *Server) serverConfig(ctx ssh.Context) *gossh.ServerConfig {
	return &gossh.ServerConfig{
		Config: gossh.Config{
			KeyExchanges: []string{
				gossh.KeyExchangeMLKEM768X25519,
				gossh.KeyExchangeCurve25519,
				"curve25519-sha256@libssh.org",
			},
			Ciphers: []string{
				gossh.CipherAES128GCM,
				gossh.CipherAES256GCM,
				gossh.CipherChaCha20Poly1305,
			},
			MACs: []string{
				gossh.HMACSHA256ETM,
				gossh.HMACSHA512ETM,
			},
		},
		// No ssh-rsa: it signs with SHA-1.
		PublicKeyAuthAlgorithms: []string{
			gossh.KeyAlgoED25519,
			gossh.KeyAlgoSKED25519,
			gossh.KeyAlgoECDSA256,
			gossh.KeyAlgoECDSA384,
			gossh.KeyAlgoECDSA521,
			gossh.KeyAlgoSKECDSA256,
			gossh.KeyAlgoRSASHA256,
			gossh.KeyAlgoRSASHA512,
		},
		PublicKeyCallback: func(conn gossh.ConnMetadata, key gossh.PublicKey) (*gossh.Permissions, error) {
			return s.publicKeyCallback(ctx, conn, key)
		},
		VerifiedPublicKeyCallback: func(conn gossh.ConnMetadata, key gossh.PublicKey, perms *gossh.Permissions, algo string) (*gossh.Permissions, error) {
			return s.verifiedPublicKeyCallback(ctx, conn, key, perms, algo)
		},
		KeyboardInteractiveCallback: s.keyboardInteractiveCallback,
		// charmbracelet/ssh turns NoClientAuth on because none of its own
		// handlers is set; this refuses the "none" method again.
		NoClientAuthCallback: func(gossh.ConnMetadata) (*gossh.Permissions, error) {
			return nil, errDenied
		},
		AuthLogCallback: func(conn gossh.ConnMetadata, method string, err error) {
			if err != nil && method != "none" {
				s.log.Debug("ssh auth refused", "user", logUser(conn.User()),
					"remote", conn.RemoteAddr().String(), "method", method)
			}
		},
	}
}

// publicKeyCallback runs for every key offered, signed or not, and accepts
// every one. It answers the offer of a key without a signature too (a
// "query"), so refusing unknown keys here would tell anyone holding a
// public key, which is no secret, whether it is a staff key: the staff key
// check waits for the signature, in verifiedPublicKeyCallback.
func (s *Server) publicKeyCallback(_ context.Context, conn gossh.ConnMetadata, _ gossh.PublicKey) (perms *gossh.Permissions, err error) {
	defer s.recoverAuth("publickey", conn, &perms, &err)
	return &gossh.Permissions{}, nil
}

// verifiedPublicKeyCallback runs only once the client has signed with key:
// on the staff user name it refuses a key that is not a staff key, with
// the refusal of any failed attempt; it records the key, and the user name
// it signed for, in the Permissions the connection keeps.
func (s *Server) verifiedPublicKeyCallback(ctx context.Context, conn gossh.ConnMetadata, key gossh.PublicKey, _ *gossh.Permissions, _ string) (perms *gossh.Permissions, err error) {
	defer s.recoverAuth("publickey-verified", conn, &perms, &err)
	// ctx is the connection's: it ends when the connection does.
	if conn.User() == s.cfg.StaffUser && !s.routes.StaffKeyKnown(ctx, key) {
		return nil, errDenied
	}
	encoded := base64.StdEncoding.EncodeToString(key.Marshal())
	return &gossh.Permissions{Extensions: map[string]string{
		extVerifiedKey:  encoded,
		extVerifiedUser: conn.User(),
		libKeyExt:       encoded,
	}}, nil
}

// keyboardInteractiveCallback lets clients without a key in with no
// questions: who they are is decided by the forms. Staff never get in this way.
func (s *Server) keyboardInteractiveCallback(conn gossh.ConnMetadata, _ gossh.KeyboardInteractiveChallenge) (perms *gossh.Permissions, err error) {
	defer s.recoverAuth("keyboard-interactive", conn, &perms, &err)
	if conn.User() == s.cfg.StaffUser {
		return nil, errDenied
	}
	return &gossh.Permissions{}, nil
}

// recoverAuth turns a panic in an auth callback into a refusal.
func (s *Server) recoverAuth(method string, conn gossh.ConnMetadata, perms **gossh.Permissions, err *error) {
	if r := recover(); r != nil {
		s.log.Error("panic in ssh auth callback", "method", method, "user", logUser(conn.User()),
			"remote", conn.RemoteAddr().String(), "panic", r, "stack", string(debug.Stack()))
		*perms, *err = nil, errDenied
	}
}

// verifiedKey returns the key the client signed with during the handshake,
// if it signed for user, or nil.
func verifiedKey(s ssh.Session, user string) gossh.PublicKey {
	perms := s.Permissions()
	if perms.Permissions == nil || perms.Extensions == nil {
		return nil
	}
	if perms.Extensions[extVerifiedUser] != user {
		return nil
	}
	raw, err := base64.StdEncoding.DecodeString(perms.Extensions[extVerifiedKey])
	if err != nil || len(raw) == 0 {
		return nil
	}
	key, err := gossh.ParsePublicKey(raw)
	if err != nil {
		return nil
	}
	return key
}

package portal_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/portal/vocab"
	gossh "golang.org/x/crypto/ssh"
)

func support() portal.Actor {
	return portal.Actor{Kind: vocab.ActorStaff, Name: "sam", Role: vocab.RoleSupport, RemoteAddr: "10.1.1.1:5"}
}

func TestConsoleActionsPerRole(t *testing.T) {
	ctx := context.Background()
	type action struct {
		name    string
		admin   bool // only admins may
		do      func(env *portaltest.Env, a portal.Actor) error
		changed func(env *portaltest.Env) bool
	}
	status := func(env *portaltest.Env, email string) string {
		c, err := env.Store.ClientByEmail(ctx, email)
		if err != nil {
			return ""
		}
		return c.Status
	}
	actions := []action{
		{"disable", true,
			func(env *portaltest.Env, a portal.Actor) error { return env.Service.DisableClient(ctx, a, "ann@x.com") },
			func(env *portaltest.Env) bool { return status(env, "ann@x.com") == vocab.StatusDisabled }},
		{"enable", true,
			func(env *portaltest.Env, a portal.Actor) error {
				if err := env.Service.DisableClient(ctx, env.Admin(), "ann@x.com"); err != nil {
					return err
				}
				return env.Service.EnableClient(ctx, a, "ann@x.com")
			},
			func(env *portaltest.Env) bool { return status(env, "ann@x.com") == vocab.StatusActive }},
		{"sign-up mode", true,
			func(env *portaltest.Env, a portal.Actor) error {
				return env.Service.SetSignUpMode(ctx, a, vocab.SignUpApproval)
			},
			func(env *portaltest.Env) bool {
				m, _ := env.Service.SignUpMode(ctx)
				return m == vocab.SignUpApproval
			}},
		{"end sessions", false,
			func(env *portaltest.Env, a portal.Actor) error {
				_, err := env.Service.EndSessions(ctx, a, "ann@x.com")
				return err
			},
			func(*portaltest.Env) bool { return true }},
		{"approve", false,
			func(env *portaltest.Env, a portal.Actor) error {
				return env.Service.ApproveSignUp(ctx, a, "wait@x.com")
			},
			func(env *portaltest.Env) bool { return status(env, "wait@x.com") == vocab.StatusActive }},
		{"reject", false,
			func(env *portaltest.Env, a portal.Actor) error { return env.Service.RejectSignUp(ctx, a, "wait@x.com") },
			func(env *portaltest.Env) bool { return status(env, "wait@x.com") == vocab.StatusRejected }},
	}
	for _, act := range actions {
		for _, who := range []string{"admin", "support"} {
			t.Run(act.name+"/"+who, func(t *testing.T) {
				env := portaltest.New(t)
				env.AddActiveClient(t, "ann@x.com", "Ann")
				awaitingSignUp(t, env, "wait@x.com")
				a := env.Admin()
				if who == "support" {
					a = support()
				}
				err := act.do(env, a)
				if act.admin && who == "support" {
					if !errors.Is(err, portal.ErrForbidden) {
						t.Fatalf("support: got %v, want forbidden", err)
					}
					if act.name != "enable" && act.changed(env) {
						t.Fatal("support's refused action changed the data")
					}
					return
				}
				if err != nil || !act.changed(env) {
					t.Fatalf("%s: err %v, changed %v", who, err, act.changed(env))
				}
			})
		}
	}
}

// awaitingSignUp makes a sign-up that waits for approval, leaving sign-up on.
func awaitingSignUp(t *testing.T, env *portaltest.Env, email string) {
	t.Helper()
	ctx := context.Background()
	if err := env.Service.SetSignUpMode(ctx, env.Admin(), vocab.SignUpApproval); err != nil {
		t.Fatal(err)
	}
	in := portal.SignUpInput{Profile: portal.Profile{Name: "Wanda", Email: email}, Password: strong, Repeat: strong}
	ticket, err := env.Service.SignUp(ctx, guest("4.4.4.4:1"), in)
	if err != nil {
		t.Fatal(err)
	}
	code := portaltest.CodeIn(t, env.LastMail(t, email, portal.MailVerifyCode).Body)
	if _, err := env.Service.VerifyEmail(ctx, guest("4.4.4.4:1"), ticket, code); refusalKey(t, err) != portal.KeyAwaitingApproval {
		t.Fatalf("verify in approval mode: %v", err)
	}
	env.LastMail(t, email, portal.MailSignUpReceived)
	if err := env.Service.SetSignUpMode(ctx, env.Admin(), vocab.SignUpOn); err != nil {
		t.Fatal(err)
	}
}

func TestApprovalFlow(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	awaitingSignUp(t, env, "wait@x.com")
	if _, err := env.Service.LogIn(ctx, guest("4.4.4.5:1"), "wait@x.com", strong); refusalKey(t, err) != "error.login.awaiting" {
		t.Fatalf("log in while awaiting: %v", err)
	}
	page, err := env.Service.ClientsPage(ctx, support(), vocab.ClientQuery{Status: vocab.StatusAwaiting})
	if err != nil || len(page) != 1 || page[0].EmailNorm != "wait@x.com" {
		t.Fatalf("queue = %+v, %v", page, err)
	}
	if err := env.Service.ApproveSignUp(ctx, support(), "wait@x.com"); err != nil {
		t.Fatal(err)
	}
	env.LastMail(t, "wait@x.com", portal.MailSignUpApproved)
	if _, err := env.Service.LogIn(ctx, guest("4.4.4.5:1"), "wait@x.com", strong); err != nil {
		t.Fatalf("log in once approved: %v", err)
	}
	if err := env.Service.RejectSignUp(ctx, env.Admin(), "wait@x.com"); refusalKey(t, err) != "error.signup.not_awaiting" {
		t.Fatalf("reject an active client: %v", err)
	}
}

func TestDisableEndsSessionsAndEnableReinvites(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	ann := env.AddActiveClient(t, "ann@x.com", "Ann")
	ended := false
	sessCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	env.BindSession(t, sessCtx, ann, "s1", func() { ended = true })
	if err := env.Service.DisableClient(ctx, env.Admin(), "ann@x.com"); err != nil {
		t.Fatal(err)
	}
	if !ended {
		t.Fatal("disabling did not end the client's session")
	}
	if _, err := env.Service.LogIn(ctx, guest("5.5.5.5:1"), "ann@x.com", strong); refusalKey(t, err) != "error.login.disabled" {
		t.Fatalf("log in while disabled: %v", err)
	}
	if err := env.Service.DisableClient(ctx, env.Admin(), "ann@x.com"); refusalKey(t, err) != "error.client.already" {
		t.Fatalf("disable twice: %v", err)
	}
	// An invited client disabled and enabled gets a fresh invitation.
	if _, err := env.Service.AddClient(ctx, env.Admin(), portal.NewClient{Email: "bob@x.com", Name: "Bob"}); err != nil {
		t.Fatal(err)
	}
	first := portaltest.TokenIn(t, env.LastMail(t, "bob@x.com", portal.MailInvitation).Body)
	if err := env.Service.DisableClient(ctx, env.Admin(), "bob@x.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Service.CheckInvitation(ctx, first); err == nil {
		t.Fatal("a disabled client's invitation still works")
	}
	if err := env.Service.EnableClient(ctx, env.Admin(), "bob@x.com"); err != nil {
		t.Fatal(err)
	}
	second := portaltest.TokenIn(t, env.LastMail(t, "bob@x.com", portal.MailInvitation).Body)
	if c, err := env.Service.CheckInvitation(ctx, second); err != nil || c.Status != vocab.StatusInvited {
		t.Fatalf("fresh invitation after enable: %v %v", c, err)
	}
	d, err := env.Service.ClientDetails(ctx, env.Admin(), "bob@x.com")
	if err != nil || len(d.Invitations) != 2 || d.Invitations[0].State != vocab.InvitationOpen || d.Invitations[1].State != vocab.InvitationRevoked {
		t.Fatalf("details = %+v, %v", d, err)
	}
	var actions []string
	for _, e := range d.Events {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, ","); got != "client.enable,client.disable,client.add" {
		t.Fatalf("events = %s", got)
	}
}

func TestAuditForSupportIsTheirOwn(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	if _, err := env.Service.AddClient(ctx, env.Admin(), portal.NewClient{Email: "ann@x.com", Name: "Ann"}); err != nil {
		t.Fatal(err)
	}
	if err := env.Service.ResendInvitation(ctx, support(), "ann@x.com"); err != nil {
		t.Fatal(err)
	}
	all, err := env.Service.ListAudit(ctx, env.Admin(), vocab.AuditQuery{})
	if err != nil || len(all) < 2 {
		t.Fatalf("admin sees %d events, %v", len(all), err)
	}
	own, err := env.Service.ListAudit(ctx, support(), vocab.AuditQuery{Actor: "test-admin"})
	if err != nil || len(own) != 1 || own[0].Actor != "sam" || own[0].Action != "invitation.resend" {
		t.Fatalf("support sees %+v, %v", own, err)
	}
	if _, err := env.Service.ListAudit(ctx, guest("1.1.1.1:1"), vocab.AuditQuery{}); !errors.Is(err, portal.ErrForbidden) {
		t.Fatalf("guest reads the audit log: %v", err)
	}
}

func TestClientsPageShowsInvitationState(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	env.AddActiveClient(t, "ann@x.com", "Ann")
	if _, err := env.Service.AddClient(ctx, env.Admin(), portal.NewClient{Email: "bob@x.com", Name: "Bob"}); err != nil {
		t.Fatal(err)
	}
	page, err := env.Service.ClientsPage(ctx, support(), vocab.ClientQuery{})
	if err != nil || len(page) != 2 {
		t.Fatalf("page = %+v, %v", page, err)
	}
	if page[0].Invitation != vocab.InvitationAccepted || page[1].Invitation != vocab.InvitationOpen {
		t.Fatalf("invitation states = %q, %q", page[0].Invitation, page[1].Invitation)
	}
}

func TestRetryMail(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	if _, err := env.Service.AddClient(ctx, env.Admin(), portal.NewClient{Email: "ann@x.com", Name: "Ann"}); err != nil {
		t.Fatal(err)
	}
	mails, _ := env.Service.ListOutbox(ctx, support(), vocab.OutboxQuery{})
	if err := env.Service.RetryMail(ctx, support(), mails[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := env.Store.MarkMailSent(ctx, mails[0].ID, mails[0].CreatedAt); err != nil {
		t.Fatal(err)
	}
	if err := env.Service.RetryMail(ctx, support(), mails[0].ID); refusalKey(t, err) != "error.outbox.not_queued" {
		t.Fatalf("retry a sent mail: %v", err)
	}
}

// TestNoWayPastApproval: a sign-up waiting for approval, or rejected, can
// neither reset its password into an active account nor be disabled and
// enabled into one.
func TestNoWayPastApproval(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	awaitingSignUp(t, env, "wait@x.com")
	pw := "a brand new passphrase for wanda"
	for _, step := range []func() error{
		func() error { return env.Service.RequestReset(ctx, guest("6.6.6.6:1"), "wait@x.com") },
		func() error {
			_, err := env.Service.ResetPassword(ctx, guest("6.6.6.6:1"), "wait@x.com", "ZZZZ-ZZZZ", pw, pw)
			return err
		},
	} {
		_ = step()
	}
	if n := len(env.Mails(t, "wait@x.com")); n != 2 { // the code and the "received" notice only
		t.Fatalf("a reset code was mailed to a sign-up awaiting approval (%d mails)", n)
	}
	if err := env.Service.DisableClient(ctx, env.Admin(), "wait@x.com"); refusalKey(t, err) != "error.client.cannot_disable" {
		t.Fatalf("disable an awaiting sign-up: %v", err)
	}
	if err := env.Service.RejectSignUp(ctx, env.Admin(), "wait@x.com"); err != nil {
		t.Fatal(err)
	}
	if err := env.Service.RequestReset(ctx, guest("6.6.6.6:1"), "wait@x.com"); err != nil {
		t.Fatal(err)
	}
	if n := len(env.Mails(t, "wait@x.com")); n != 3 { // + the rejection
		t.Fatalf("a rejected sign-up got a reset code (%d mails)", n)
	}
}

// TestRemovedStaffKeyLosesItsRightsAtOnce: a console opened with a key keeps
// no rights once the key is removed, or the role lowered.
func TestRemovedStaffKeyLosesItsRightsAtOnce(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl bob@laptop"
	if _, err := env.Service.AddStaff(ctx, env.Admin(), "keeper", vocab.RoleAdmin, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7lXuhD8rDEbOd3Iz5mXjyJQ7WqSTDhJ0BfnUX6DkgB keeper"); err != nil {
		t.Fatal(err)
	}
	st, err := env.Service.AddStaff(ctx, env.Admin(), "bob", vocab.RoleAdmin, key)
	if err != nil {
		t.Fatal(err)
	}
	bob := portal.StaffActor(st, "10.0.0.9:22")
	if _, err := env.Service.ListStaff(ctx, bob); err != nil {
		t.Fatalf("bob while registered: %v", err)
	}
	pub, _, _, _, err := gossh.ParseAuthorizedKey([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	if !env.Service.IsStaffKey(ctx, pub) {
		t.Fatal("bob's key is not known as a staff key")
	}
	if err := env.Service.RemoveStaff(ctx, env.Admin(), "bob"); err != nil {
		t.Fatal(err)
	}
	if env.Service.IsStaffKey(ctx, pub) {
		t.Fatal("bob's removed key is still known as a staff key")
	}
	if _, err := env.Service.StaffByKey(ctx, pub); !errors.Is(err, portal.ErrUnknownStaffKey) {
		t.Fatalf("the removed key's owner: %v, want ErrUnknownStaffKey", err)
	}
	if _, err := env.Service.ListClients(ctx, bob, vocab.ClientQuery{}); !errors.Is(err, portal.ErrForbidden) {
		t.Fatalf("removed key still reads clients: %v", err)
	}
	if err := env.Service.SetSignUpMode(ctx, bob, vocab.SignUpOn); !errors.Is(err, portal.ErrForbidden) {
		t.Fatalf("removed key still changes settings: %v", err)
	}
}

func TestNamesAreTidiedAndStaffCannotRemoveThemselves(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	c, err := env.Service.AddClient(ctx, env.Admin(), portal.NewClient{Email: "carl@x.com", Name: "  Carl   Jones ", Company: "Jones \u00a0 LLP"})
	if err != nil || c.Name != "Carl Jones" || c.Company != "Jones LLP" {
		t.Fatalf("client = %q / %q, %v", c.Name, c.Company, err)
	}
	st, err := env.Service.AddStaff(ctx, env.Admin(), "ann", "Admin", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ann@laptop")
	if err != nil || st.Role != vocab.RoleAdmin {
		t.Fatalf("role typed with a capital: %+v, %v", st, err)
	}
	if err := env.Service.RemoveStaff(ctx, portal.StaffActor(st, "10.0.0.1:2"), "ann"); refusalKey(t, err) != "error.staff.self" {
		t.Fatalf("removing oneself: %v", err)
	}
}

func TestRemoveOneStaffKey(t *testing.T) {
	env := portaltest.New(t)
	ctx := context.Background()
	laptop, err := env.Service.AddStaff(ctx, env.Admin(), "ann", vocab.RoleAdmin, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ann@laptop")
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Service.RemoveStaffKey(ctx, env.Admin(), laptop.Fingerprint); refusalKey(t, err) != "error.staff.last_admin" {
		t.Fatalf("the last admin key: %v", err)
	}
	desk, err := env.Service.AddStaff(ctx, env.Admin(), "ann", vocab.RoleAdmin, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7lXuhD8rDEbOd3Iz5mXjyJQ7WqSTDhJ0BfnUX6DkgB ann@desk")
	if err != nil {
		t.Fatal(err)
	}
	fromDesk := portal.StaffActor(desk, "10.0.0.2:22")
	if err := env.Service.RemoveStaffKey(ctx, fromDesk, desk.Fingerprint); refusalKey(t, err) != "error.staff.self_key" {
		t.Fatalf("the key one is connected with: %v", err)
	}
	if err := env.Service.RemoveStaffKey(ctx, fromDesk, laptop.Fingerprint); err != nil {
		t.Fatalf("the lost laptop's key: %v", err)
	}
	keys, _ := env.Service.ListStaff(ctx, fromDesk)
	if len(keys) != 1 || keys[0].Fingerprint != desk.Fingerprint {
		t.Fatalf("keys left: %+v", keys)
	}
	if err := env.Service.RemoveStaffKey(ctx, fromDesk, "SHA256:nope"); refusalKey(t, err) != "error.staff.key_not_found" {
		t.Fatalf("unknown key: %v", err)
	}
}

package rds

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"net"
	"strconv"

	"github.com/niwa-cloud/niwa/internal/dbengine"
	"github.com/niwa-cloud/niwa/internal/dbfront"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// IAM database authentication: every endpoint port is a front
// (internal/dbfront) before the real server, which checks the tokens of
// users set up for IAM with the Tokens seam.

// TokenRequest is what an IAM token must grant: rds-db:connect on
// Resource (arn:aws:rds-db:<region>:<account>:dbuser:<resource id>/<user>)
// for User, signed for Region, to a host:port with Port.
type TokenRequest struct {
	Account, Region, User, Resource string
	Port                            int
}

// Tokens verifies an IAM database authentication token (a presigned
// "connect" URL: SigV4, its expiry) and that its signer may
// rds-db:connect; internal/server wires niwa's verifier and IAM engine.
type Tokens interface {
	VerifyDBToken(ctx context.Context, token string, want TokenRequest) error
}

// authTarget names the record whose IAM flag and resource id a front's
// tokens are checked against.
type authTarget struct{ kind, account, region, id string }

type metaRec struct{ Key []byte }

var meta = storage.NewTable[metaRec]("meta")

// frontKey is the key IAM users' niwa-held passwords derive from: one
// random key kept in the store (so they survive restarts), per server.
func (s *RDS) frontKey(resourceID string) ([]byte, error) {
	var key []byte
	err := s.store.Update(func(tx storage.Tx) error {
		m, ok, err := meta.Get(tx, anywhere, "iam-password-key")
		if err != nil {
			return err
		}
		if !ok {
			m.Key = make([]byte, 32)
			if _, err := rand.Read(m.Key); err != nil {
				return err
			}
			if err := meta.Put(tx, anywhere, m, "iam-password-key"); err != nil {
				return err
			}
		}
		h := sha256.Sum256(append(append([]byte{}, m.Key...), resourceID...))
		key = h[:]
		return nil
	})
	return key, err
}

// listenFront starts the front on the endpoint's port and picks the
// port the server listens on behind it.
func (s *RDS) listenFront(key string, spec dbengine.Spec, at authTarget) (*dbfront.Front, int, error) {
	internal, err := dbengine.FreePort()
	if err != nil {
		return nil, 0, err
	}
	k, err := s.frontKey(key)
	if err != nil {
		return nil, 0, err
	}
	kind := dbfront.MySQL
	if spec.Kind == dbengine.Postgres {
		kind = dbfront.Postgres
	}
	backend := "127.0.0.1:" + strconv.Itoa(internal)
	f, err := dbfront.Listen(net.JoinHostPort("127.0.0.1", strconv.Itoa(spec.Port)), dbfront.Config{
		Kind:    kind,
		Backend: func() (string, error) { return backend, nil },
		Key:     k,
		Verify:  s.verifyToken(at, spec.Port),
		Admit:   s.admitTo(at),
		Log:     s.log,
	})
	if err != nil {
		return nil, 0, err
	}
	return f, internal, nil
}

// errIAMOff refuses tokens on a server whose IAM authentication is off.
const errIAMOff = rdsError("rds: IAM database authentication is not enabled")

// verifyToken checks a token against the record's current IAM flag and
// resource id.
func (s *RDS) verifyToken(at authTarget, port int) func(ctx context.Context, user, token string) error {
	return func(ctx context.Context, user, token string) error {
		if s.tokens == nil {
			return errIAMOff
		}
		var enabled bool
		var resID string
		err := s.store.View(func(tx storage.Tx) error {
			if at.kind == "cluster" {
				c, ok, err := clusters.Get(tx, anywhere, at.account, at.region, at.id)
				enabled, resID = ok && c.IAMAuth, c.ResourceID
				return err
			}
			r, ok, err := instances.Get(tx, anywhere, at.account, at.region, at.id)
			enabled, resID = ok && r.IAMAuth, r.ResourceID
			return err
		})
		if err != nil {
			return err
		}
		if !enabled {
			return errIAMOff
		}
		return s.tokens.VerifyDBToken(ctx, token, TokenRequest{Account: at.account, Region: at.region, User: user, Port: port,
			Resource: "arn:aws:rds-db:" + at.region + ":" + at.account + ":dbuser:" + resID + "/" + user})
	}
}

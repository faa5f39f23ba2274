package sqs

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"sync"
	"time"

	sqsapi "github.com/niwa-cloud/niwa/internal/api/sqs"
	kmsseam "github.com/niwa-cloud/niwa/internal/kms"
	"github.com/niwa-cloud/niwa/internal/request"
)

// SSE-KMS at rest: the body of a message sent to a queue with a
// KmsMasterKeyId is stored encrypted (AES-256-GCM) under a data key that
// KMS generates for the queue, as SQS does. A queue reuses its data key
// for KmsDataKeyReusePeriodSeconds (300 by default) before asking KMS for
// a new one, and keeps the data keys it has seen in plain text in memory,
// so a receive decrypts without asking KMS again; after a restart
// (--data-dir), the first receive under each data key decrypts it through
// KMS as the caller. Only bodies are encrypted, as on AWS (attributes and
// metadata are not); messages other services deliver through the bus
// (SNS, S3, EventBridge) are stored as sent.

// sealed is an encrypted message body.
type sealed struct {
	// Key is the data key, encrypted under the queue's KMS key with the
	// encryption context aws:sqs:arn = Queue.
	Key []byte `json:"k"`
	// Data is the GCM nonce followed by the encrypted body, the queue ARN
	// as additional data.
	Data []byte `json:"d"`
	// Queue is the ARN of the queue the body was sent to (a message moved
	// to a dead-letter queue keeps it).
	Queue string `json:"q"`
}

// maxPlainDataKeys bounds the decrypted data keys kept in memory.
const maxPlainDataKeys = 4096

// dataKeys caches a queue's current data key and the plain text of every
// data key seen, per SQS instance.
type dataKeys struct {
	mu     sync.Mutex
	active map[string]activeKey // queue ARN -> the data key sends use
	plain  map[string][]byte    // encrypted data key -> plain text
	order  []string             // keys of plain, oldest first
}

type activeKey struct {
	kmsKey  string
	plain   []byte
	blob    []byte
	expires time.Time
}

func newDataKeys() *dataKeys {
	return &dataKeys{active: map[string]activeKey{}, plain: map[string][]byte{}}
}

func (d *dataKeys) remember(blob, plain []byte) {
	if _, ok := d.plain[string(blob)]; ok {
		return
	}
	if len(d.order) >= maxPlainDataKeys {
		delete(d.plain, d.order[0])
		d.order = d.order[1:]
	}
	d.plain[string(blob)] = plain
	d.order = append(d.order, string(blob))
}

func (d *dataKeys) lookup(blob []byte) ([]byte, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	p, ok := d.plain[string(blob)]
	return p, ok
}

// sealer returns the data key to encrypt q's new messages with, nil for a
// queue without SSE-KMS: the queue's current one while its reuse period
// lasts, else a new one from KMS, generated as the caller.
func (s *SQS) sealer(ctx *request.Context, ref queueRef, q *queue) (*activeKey, error) {
	key := kmsKey(q)
	if key == "" || s.opts.DataKeys == nil {
		return nil, nil
	}
	arn := ref.arn()
	now := s.clock.Now()
	s.keys.mu.Lock()
	ak, ok := s.keys.active[arn]
	s.keys.mu.Unlock()
	if ok && ak.kmsKey == key && now.Before(ak.expires) {
		return &ak, nil
	}
	dk, err := s.opts.DataKeys.GenerateDataKey(ctx, key, map[string]string{"aws:sqs:arn": arn})
	if err != nil {
		return nil, kmsError(err)
	}
	period := q.intAttr("KmsDataKeyReusePeriodSeconds")
	if period <= 0 {
		period = 300
	}
	ak = activeKey{kmsKey: key, plain: dk.Plaintext, blob: dk.Ciphertext, expires: now.Add(time.Duration(period) * time.Second)}
	s.keys.mu.Lock()
	s.keys.active[arn] = ak
	s.keys.remember(dk.Ciphertext, dk.Plaintext)
	s.keys.mu.Unlock()
	return &ak, nil
}

// seal encrypts body under k for the queue arn.
func seal(k *activeKey, arn, body string) (*sealed, error) {
	aead, err := gcm(k.plain)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(body)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return &sealed{Key: k.blob, Data: aead.Seal(nonce, nonce, []byte(body), []byte(arn)), Queue: arn}, nil
}

// open decrypts a sealed body with its plain data key.
func open(sl *sealed, plain []byte) (string, error) {
	aead, err := gcm(plain)
	if err != nil {
		return "", err
	}
	if len(sl.Data) < aead.NonceSize() {
		return "", errors.New("sqs: sealed body too short")
	}
	b, err := aead.Open(nil, sl.Data[:aead.NonceSize()], sl.Data[aead.NonceSize():], []byte(sl.Queue))
	return string(b), err
}

func gcm(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// opener decrypts the sealed bodies of one receive: from the data keys in
// memory while the receive's transaction runs, and the others once it
// has committed, through KMS (which must not be called inside it).
type opener struct {
	s    *SQS
	todo map[string]*sealed // message id -> body to decrypt later
}

// body returns m's body, or "" and false when it must wait for finish.
func (o *opener) body(m message) (string, bool) {
	if m.Sealed == nil {
		return m.Body, true
	}
	if plain, ok := o.s.keys.lookup(m.Sealed.Key); ok {
		if b, err := open(m.Sealed, plain); err == nil {
			return b, true
		}
	}
	if o.todo == nil {
		o.todo = map[string]*sealed{}
	}
	o.todo[m.ID] = m.Sealed
	return "", false
}

// reset forgets what a retried transaction collected.
func (o *opener) reset() { o.todo = nil }

// finish decrypts the bodies left for after the transaction, asking KMS
// for their data keys as the caller.
func (o *opener) finish(ctx *request.Context, out []sqsapi.Message) error {
	for i := range out {
		sl, ok := o.todo[*out[i].MessageId]
		if !ok {
			continue
		}
		plain, found := o.s.keys.lookup(sl.Key)
		if !found {
			p, _, err := o.s.opts.DataKeys.Decrypt(ctx, sl.Key, map[string]string{"aws:sqs:arn": sl.Queue})
			if err != nil {
				return kmsError(err)
			}
			plain = p
			o.s.keys.mu.Lock()
			o.s.keys.remember(sl.Key, p)
			o.s.keys.mu.Unlock()
		}
		body, err := open(sl, plain)
		if err != nil {
			return kmsError(err)
		}
		md5b := md5Hex([]byte(body))
		out[i].Body, out[i].MD5OfBody = &body, &md5b
	}
	return nil
}

// kmsError words a KMS failure as SQS does (kms.go).
func kmsError(err error) error {
	code := kmsseam.Code(err)
	if c, ok := kmsErrors[code]; ok {
		return c.New("%s (Service: AWSKMS; Status Code: 400; Error Code: %s)", kmsseam.Message(err), code)
	}
	return err
}

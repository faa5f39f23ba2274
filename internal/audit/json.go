package audit

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"

	"github.com/niwa-cloud/niwa/internal/protocol/jsonbody"
)

// JSON encodes rec as json.Marshal encodes it (the same bytes: field
// order, omitempty, map keys sorted, strings escaped HTML-safe, the same
// error for a NaN), without reflection. Every management call's record is
// encoded for CloudTrail's event history, and json.Marshal (reflection,
// sorting each map through reflect.Values) was most of what a record
// cost. A value of a type appendValue does not know is encoded by
// json.Marshal itself.
func (rec *Record) JSON() ([]byte, error) {
	// Built on the stack and copied once: the result's one allocation,
	// of its size (a record is 0.6–1.5 KB; growing a heap buffer cost
	// clearing and copying it again).
	var scratch [2048]byte
	b, err := rec.appendJSON(scratch[:0])
	if err != nil {
		return nil, err
	}
	return bytes.Clone(b), nil
}

func (rec *Record) appendJSON(b []byte) ([]byte, error) {
	var err error
	b = append(b, `{"eventVersion":`...)
	b = appendString(b, rec.EventVersion)
	b = append(b, `,"userIdentity":`...)
	b = rec.UserIdentity.appendJSON(b)
	b = appendField(b, "eventTime", rec.EventTime)
	b = appendField(b, "eventSource", rec.EventSource)
	b = appendField(b, "eventName", rec.EventName)
	b = appendField(b, "awsRegion", rec.AWSRegion)
	b = appendField(b, "sourceIPAddress", rec.SourceIPAddress)
	b = appendField(b, "userAgent", rec.UserAgent)
	b = appendOmitEmpty(b, "errorCode", rec.ErrorCode)
	b = appendOmitEmpty(b, "errorMessage", rec.ErrorMessage)
	b = append(b, `,"requestParameters":`...)
	if b, err = appendValue(b, rec.RequestParameters); err != nil {
		return nil, err
	}
	b = append(b, `,"responseElements":`...)
	if b, err = appendValue(b, rec.ResponseElements); err != nil {
		return nil, err
	}
	b = appendField(b, "requestID", rec.RequestID)
	b = appendField(b, "eventID", rec.EventID)
	b = append(b, `,"readOnly":`...)
	b = strconv.AppendBool(b, rec.ReadOnly)
	b = appendField(b, "eventType", rec.EventType)
	b = append(b, `,"managementEvent":`...)
	b = strconv.AppendBool(b, rec.ManagementEvent)
	b = appendField(b, "recipientAccountId", rec.RecipientAccountID)
	b = appendField(b, "eventCategory", rec.EventCategory)
	if d := rec.TLSDetails; d != nil {
		b = append(b, `,"tlsDetails":{`...)
		n := len(b)
		b = appendOmitEmpty(b, "tlsVersion", d.TLSVersion)
		b = appendOmitEmpty(b, "cipherSuite", d.CipherSuite)
		b = appendOmitEmpty(b, "clientProvidedHostHeader", d.ClientProvidedHostHeader)
		if len(b) > n {
			b = slices.Delete(b, n, n+1) // the first member's comma
		}
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

func (u *UserIdentity) appendJSON(b []byte) []byte {
	b = append(b, `{"type":`...)
	b = appendString(b, u.Type)
	b = appendField(b, "principalId", u.PrincipalID)
	b = appendOmitEmpty(b, "arn", u.ARN)
	b = appendField(b, "accountId", u.AccountID)
	b = appendOmitEmpty(b, "accessKeyId", u.AccessKeyID)
	b = appendOmitEmpty(b, "userName", u.UserName)
	b = appendOmitEmpty(b, "invokedBy", u.InvokedBy)
	if s := u.SessionContext; s != nil {
		i := &s.SessionIssuer
		b = append(b, `,"sessionContext":{"sessionIssuer":{"type":`...)
		b = appendString(b, i.Type)
		b = appendField(b, "principalId", i.PrincipalID)
		b = appendField(b, "arn", i.ARN)
		b = appendField(b, "accountId", i.AccountID)
		b = appendField(b, "userName", i.UserName)
		b = append(b, `},"webIdFederationData":{},"attributes":`...)
		b = appendStringMap(b, s.Attributes)
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendField appends `,"name":"value"`; name needs no escaping.
func appendField(b []byte, name, value string) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendString(b, value)
}

// appendOmitEmpty is appendField for an omitempty member.
func appendOmitEmpty(b []byte, name, value string) []byte {
	if value == "" {
		return b
	}
	return appendField(b, name, value)
}

// appendValue appends v, a value of the decoded input or output tree as
// render leaves it, as json.Marshal encodes it.
func appendValue(b []byte, v any) ([]byte, error) {
	var err error
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, v), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int32:
		return strconv.AppendInt(b, int64(v), 10), nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			break // json.Marshal's error
		}
		return jsonbody.AppendFloat(b, v), nil
	case map[string]any:
		if v == nil {
			return append(b, "null"...), nil
		}
		var buf [16]string
		b = append(b, '{')
		for i, k := range sortedKeys(buf[:0], v) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			if b, err = appendValue(b, v[k]); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case []any:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendValue(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case map[string]string:
		return appendStringMap(b, v), nil
	}
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, j...), nil
}

func appendStringMap(b []byte, m map[string]string) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	var buf [16]string
	b = append(b, '{')
	for i, k := range sortedKeys(buf[:0], m) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendString(b, m[k])
	}
	return append(b, '}')
}

// sortedKeys appends m's keys to keys in the order json.Marshal writes
// them (byte order); callers pass a stack array for small maps.
func sortedKeys[V any](keys []string, m map[string]V) []string {
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// appendString appends s quoted as json.Marshal quotes it (HTML-safe,
// \b and \f as such): a record's bytes are json.Marshal's, where the
// codecs' jsonbody.AppendString writes AWS's wire form.
func appendString(b []byte, s string) []byte {
	return jsonbody.AppendQuoted(b, s, true)
}

package rest

import (
	"bytes"
	"net/http"

	"github.com/niwa-cloud/niwa/internal/api"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol/jsonbody"
)

// rest-json bodies: a JSON object of the body members, or the payload
// member's document.

func decodeJSONMembers(body []byte, sh *model.Shape) (map[string]any, error) {
	return jsonbody.DecodeStructure(body, sh, true)
}

// decodeJSONPayload reads a structure or document payload. Clients send
// "{}" for an absent structure payload (rest-json "TestPayloadNoBody"), so
// an empty object decodes as absent.
func decodeJSONPayload(body []byte, p *model.Ref) (any, error) {
	if p.Shape.Type == model.Document {
		return jsonbody.DecodeDocument(body)
	}
	v, err := jsonbody.Decode(body, p)
	if err != nil {
		return nil, err
	}
	if m, ok := v.(map[string]any); ok && len(m) == 0 {
		return nil, nil
	}
	return v, nil
}

// encodeJSONBody writes the JSON body of an output: the payload member's
// document, or the object of the body members. Outputs without body
// members have an empty body.
func encodeJSONBody(buf *bytes.Buffer, op *model.Operation, out *output) (string, error) {
	const ctype = "application/json"
	sh := op.Output.Shape
	if p := sh.PayloadMember(); p != nil {
		k := index(sh, p)
		if out.typed() {
			f, fp := out.field(k)
			if api.Absent(f, fp) {
				return ctype, nil
			}
			return ctype, jsonbody.EncodeTyped(buf, p, out.tab, f, fp)
		}
		v, ok := out.get(k, p)
		if !ok {
			return ctype, nil
		}
		return ctype, jsonbody.Encode(buf, p, v)
	}
	if !hasBodyMembers(sh) {
		return ctype, nil
	}
	if out.typed() {
		return ctype, jsonbody.EncodeTypedStructure(buf, sh, out.tab, out.entry, out.p, true)
	}
	return ctype, jsonbody.EncodeStructure(buf, sh, out.dyn, true)
}

// encodeJSONError writes a rest-json error: the code in x-amzn-ErrorType
// (which botocore and smithy-go read before any body field), the body
// {"message": ..., <fields>}. The message key follows the model's error
// shape (Lambda's errors say "Message"); service-specific members such as
// Lambda's "Type" come from quirks.
func encodeJSONError(buf *bytes.Buffer, h http.Header, info *serviceInfo, e *awserr.Error) string {
	h.Set("X-Amzn-Errortype", e.Code.Code)
	sh := errorShape(info, e.Code)
	fields := e.Fields
	if info != nil {
		fields = info.quirks.jsonErrorFields(sh, e)
	}
	msgKey := jsonbody.ErrorMessageKey(sh)
	write := func(withFields bool) error {
		buf.Reset()
		buf.WriteByte('{')
		jsonbody.AppendString(buf, msgKey)
		buf.WriteByte(':')
		jsonbody.AppendString(buf, e.Message)
		if withFields {
			if err := jsonbody.AppendErrorFields(buf, sh, fields, msgKey); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
		return nil
	}
	if write(true) != nil {
		_ = write(false)
	}
	return "application/json"
}

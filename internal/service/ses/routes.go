package ses

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Internal endpoints (not AWS APIs): the outbox and verification links.
const (
	MessagesPath = "/_niwa/ses/messages"
	VerifyPath   = "/_niwa/ses/verify"
	// LocalStackPath is LocalStack's outbox endpoint, served the same way
	// so tests written against LocalStack read niwa's outbox unchanged.
	LocalStackPath = "/_aws/ses"
)

// Matches reports whether r is for SES's internal endpoints.
func (c *Core) Matches(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/_niwa/ses/") || r.URL.Path == LocalStackPath
}

// HTTP serves the outbox (GET lists, DELETE clears; ?id= narrows to one
// message) and the verification links.
func (c *Core) HTTP() http.Handler {
	mux := http.NewServeMux()
	messages := func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("id")
		switch r.Method {
		case http.MethodGet:
			all, err := c.Outbox(id)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			// ?email= keeps the messages from that sender (LocalStack's
			// filter).
			ms := all[:0]
			for _, m := range all {
				if e := r.URL.Query().Get("email"); e == "" || strings.EqualFold(bareAddress(m.Source), e) {
					ms = append(ms, m)
				}
			}
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(struct {
				Messages []Mail `json:"messages"`
			}{ms})
		case http.MethodDelete:
			if err := c.ClearOutbox(id); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		default:
			w.Header().Set("Allow", "GET, DELETE")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		}
	}
	mux.HandleFunc(MessagesPath, messages)
	mux.HandleFunc(LocalStackPath, messages)
	mux.HandleFunc("GET "+VerifyPath, func(w http.ResponseWriter, r *http.Request) {
		ok, redirect, err := c.verify(r.URL.Query().Get("token"))
		switch {
		case err != nil:
			http.Error(w, err.Error(), http.StatusInternalServerError)
		case !ok:
			http.Error(w, "The verification link is invalid or has expired.", http.StatusNotFound)
		case redirect != "":
			// A custom verification template's SuccessRedirectionURL.
			http.Redirect(w, r, redirect, http.StatusFound)
		default:
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Write([]byte("Congratulations! You have successfully verified an email address with Amazon Web Services.\n"))
		}
	})
	return mux
}

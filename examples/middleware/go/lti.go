// net/http middleware for lti-edge's `Lti-Jwt-Assertion`: golang-jwt/jwt/v4 checks the
// signature and claims, go-jose parses the worker's JWK Set, cached here.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v4"
	jose "gopkg.in/square/go-jose.v2"
)

// Assertion is what an origin reads: the normalized view, and the raw `lti` claim.
type Assertion struct {
	jwt.RegisteredClaims
	User struct {
		ID       string   `json:"id"`
		Name     string   `json:"name"`
		Email    string   `json:"email"`
		Roles    []string `json:"roles"`
		RoleURIs []string `json:"role_uris"`
	} `json:"user"`
	Context *struct {
		ID, Label, Title string
	} `json:"context"`
	MessageType string `json:"message_type"`
	Services    struct {
		Grades      bool `json:"grades"`
		LineItems   bool `json:"line_items"`
		Roster      bool `json:"roster"`
		DeepLinking bool `json:"deep_linking"`
	} `json:"services"`
	LTI map[string]any `json:"lti"`
	// Token is the assertion itself: the bearer for the worker's services.
	Token string `json:"-"`
}

const leeway = 30 * time.Second // clock skew allowed on exp

// Valid replaces golang-jwt v4's time checks, which have no leeway: exp and iat are
// required, exp may have passed by at most `leeway`.
func (a *Assertion) Valid() error {
	if a.ExpiresAt == nil || a.IssuedAt == nil {
		return errors.New("exp and iat are required")
	}
	if !time.Now().Before(a.ExpiresAt.Add(leeway)) {
		return jwt.ErrTokenExpired
	}
	return nil
}

type ctxKey struct{}

// FromContext is the verified assertion of the request.
func FromContext(ctx context.Context) *Assertion {
	a, _ := ctx.Value(ctxKey{}).(*Assertion)
	return a
}

// Verify refuses with 401 any request without a valid assertion; handlers read it
// with FromContext.
func Verify(workerURL, audience string, next http.Handler) http.Handler {
	keys := &keySet{url: workerURL + "/.well-known/jwks.json"}
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"RS256", "ES256", "EdDSA"}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := r.Header.Get("Lti-Jwt-Assertion")
		claims := &Assertion{Token: token}
		_, err := parser.ParseWithClaims(token, claims, keys.key)
		if err == nil && !claims.VerifyIssuer(workerURL, true) {
			err = errors.New("wrong issuer")
		}
		if err == nil && !claims.VerifyAudience(audience, true) {
			err = errors.New("wrong audience")
		}
		if err != nil {
			http.Error(w, "invalid assertion: "+err.Error(), http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, claims)))
	})
}

// keySet is the worker's JWK Set, fetched on first use and again (at most every
// 30 s) when a token names an unknown kid.
type keySet struct {
	url     string
	mu      sync.Mutex
	set     jose.JSONWebKeySet
	fetched time.Time
}

func (k *keySet) key(token *jwt.Token) (any, error) {
	kid, _ := token.Header["kid"].(string)
	k.mu.Lock()
	defer k.mu.Unlock()
	found := k.set.Key(kid)
	if len(found) == 0 && time.Since(k.fetched) > 30*time.Second {
		if err := k.fetch(); err != nil {
			return nil, err
		}
		found = k.set.Key(kid)
	}
	if len(found) == 0 || found[0].Algorithm != token.Method.Alg() {
		return nil, fmt.Errorf("no %s key %q", token.Method.Alg(), kid)
	}
	return found[0].Key, nil
}

func (k *keySet) fetch() error {
	client := http.Client{Timeout: 10 * time.Second}
	reply, err := client.Get(k.url)
	if err != nil {
		return err
	}
	defer reply.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(reply.Body).Decode(&set); err != nil {
		return fmt.Errorf("JWK Set: %w", err)
	}
	k.set, k.fetched = set, time.Now()
	return nil
}

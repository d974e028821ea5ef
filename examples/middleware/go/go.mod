module lti-edge.example/middleware

go 1.19

require (
	github.com/golang-jwt/jwt/v4 v4.4.3
	gopkg.in/square/go-jose.v2 v2.6.0
)

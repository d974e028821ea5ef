# Rack middleware: verifies lti-edge's `Lti-Jwt-Assertion` and puts the claims in
# env['lti.claims'] (the normalized view: user, context, services... and the raw `lti`).
# Ruby 3.1+, gems `jwt` (2.5+) and `rack`.
require 'json'
require 'jwt'
require 'net/http'

class LtiAssertion
  # ruby-jwt 2.5 imports RSA and EC keys from a JWK Set, not OKP: no EdDSA here.
  ALGORITHMS = %w[RS256 ES256].freeze

  def initialize(app, worker_url:, audience:)
    @app = app
    @worker_url = worker_url.chomp('/')
    @audience = audience
    @jwks_url = URI("#{@worker_url}/.well-known/jwks.json")
    @mutex = Mutex.new
  end

  def call(env)
    token = env['HTTP_LTI_JWT_ASSERTION']
    return refuse('no assertion') if token.nil? || token.empty?

    claims, = JWT.decode(token, nil, true,
                         algorithms: ALGORITHMS, jwks: method(:jwks),
                         iss: @worker_url, verify_iss: true,
                         aud: @audience, verify_aud: true,
                         required_claims: %w[exp iat iss aud],
                         exp_leeway: 30) # seconds of clock skew allowed on exp
    env['lti.claims'] = claims
    env['lti.assertion'] = token
    @app.call(env)
  rescue JWT::DecodeError => e
    refuse("invalid assertion: #{e.class.name.split('::').last}")
  end

  private

  def refuse(reason)
    [401, { 'content-type' => 'text/plain' }, [reason]]
  end

  # The JWK Set, cached; ruby-jwt asks again with kid_not_found on an unknown kid,
  # which refetches it (at most every 30 s).
  def jwks(options = {})
    @mutex.synchronize do
      stale = options[:kid_not_found] && Time.now - @fetched_at > 30
      if @keys.nil? || stale
        @keys = JSON.parse(Net::HTTP.get(@jwks_url), symbolize_names: true)
        @fetched_at = Time.now
      end
      @keys
    end
  end
end

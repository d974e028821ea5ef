# A Rack origin behind lti-edge: LtiAssertion verifies every request, the app shows
# the user and posts a grade through the worker. `ruby app.rb`; Env: WORKER_URL,
# AUDIENCE, PORT. Debian: apt-get install ruby-jwt ruby-rack ruby-webrick.
require 'cgi'
require 'json'
require 'net/http'
require 'rack'
require 'rack/handler/webrick'
require_relative 'lti_assertion'

WORKER_URL = ENV.fetch('WORKER_URL').chomp('/')

def home(claims)
  user = claims['user']
  grade = '<form method="post" action="/grade"><button>Post 8/10</button></form>'
  html = "<!doctype html><title>Hello</title><h1>Hello, #{CGI.escapeHTML(user['name'].to_s)}</h1>" \
         "<p>Roles: #{CGI.escapeHTML(Array(user['roles']).join(', '))}</p>" \
         "#{grade if claims['services']['grades']}"
  [200, { 'content-type' => 'text/html' }, [html]]
end

def grade(assertion)
  uri = URI("#{WORKER_URL}/lti/services/scores")
  score = { scoreGiven: 8, scoreMaximum: 10,
            activityProgress: 'Completed', gradingProgress: 'FullyGraded' }
  reply = Net::HTTP.post(uri, score.to_json,
                         'Authorization' => "Bearer #{assertion}",
                         'Content-Type' => 'application/json')
  [reply.code.to_i, { 'content-type' => 'application/json' }, [reply.body]]
end

app = Rack::Builder.new do
  use LtiAssertion, worker_url: WORKER_URL, audience: ENV.fetch('AUDIENCE')
  run(lambda do |env|
    case [env['REQUEST_METHOD'], env['PATH_INFO']]
    when %w[GET /] then home(env['lti.claims'])
    when %w[POST /grade] then grade(env['lti.assertion'])
    else [404, { 'content-type' => 'text/plain' }, ['not found']]
    end
  end)
end

Rack::Handler::WEBrick.run(app, Host: ENV.fetch('HOST', '127.0.0.1'), Port: Integer(ENV.fetch('PORT', '8000')))

// portal_files.cpp — static files of the portal, read from disk at each request
// (a rebuilt portal shows without a restart). A request path never leaves the
// portal's directory: "..", backslashes and NUL bytes are refused.
#include "control_plane/portal_files.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "control_plane/api_error.h"
#include "control_plane/shared_dirs.h"

namespace shale {

namespace fs = std::filesystem;

namespace {

std::string content_type_for(const fs::path &file)
{
    static const std::map<std::string, std::string> types = {
        {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},   {".svg", "image/svg+xml"},
        {".png", "image/png"},                 {".ico", "image/x-icon"},
        {".json", "application/json"},         {".map", "application/json"},
        {".txt", "text/plain; charset=utf-8"}, {".woff2", "font/woff2"},
        {".webmanifest", "application/manifest+json"}};
    auto found = types.find(file.extension().string());
    return found == types.end() ? "application/octet-stream" : found->second;
}

bool read_whole_file(const fs::path &file, std::string *text)
{
    std::ifstream in(file, std::ios::binary);
    if (!in)
        return false;
    std::stringstream content;
    content << in.rdbuf();
    *text = content.str();
    return true;
}

HttpResponse portal_error(int status, const std::string &code, const std::string &message)
{
    HttpResponse response;
    response.status = status;
    response.body = api_error_body(status, code, message);
    return response;
}

}  // namespace

std::string find_portal_dir()
{
    return find_shared_dir("SHALE_PORTAL", "portal/dist", "index.html", "portal");
}

HttpResponse serve_portal_file(const std::string &dir, const HttpRequest &request, const std::string &path)
{
    if (request.method != "GET" && request.method != "HEAD") {
        HttpResponse wrong = portal_error(405, "method_not_allowed", request.method + " is not allowed on " + path);
        wrong.headers.push_back({"Allow", "GET, HEAD"});
        return wrong;
    }
    if (path.find("..") != std::string::npos || path.find('\\') != std::string::npos ||
        path.find('\0') != std::string::npos || path.empty() || path[0] != '/')
        return portal_error(404, "not_found", "no such file: " + path);
    fs::path file = fs::path(dir) / path.substr(1);
    std::error_code error;
    bool is_client_route = !fs::is_regular_file(file, error) && fs::path(path).extension().empty();
    if (path == "/" || is_client_route)
        file = fs::path(dir) / "index.html";
    HttpResponse response;
    if (!read_whole_file(file, &response.body)) {
        if (file.filename() == "index.html")
            return portal_error(404, "portal_not_built",
                                "the portal is not built in " + dir + ": run make build (or pass --portal DIR)");
        return portal_error(404, "not_found", "no such file: " + path);
    }
    response.content_type = content_type_for(file);
    // Vite names the files under assets/ by their content hash: they never change
    bool immutable = path.rfind("/assets/", 0) == 0;
    response.headers.push_back({"Cache-Control", immutable ? "public, max-age=31536000, immutable" : "no-cache"});
    response.headers.push_back({"X-Content-Type-Options", "nosniff"});
    response.headers.push_back({"Referrer-Policy", "no-referrer"});
    response.headers.push_back({"Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                                "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"});
    if (request.method == "HEAD")
        response.body.clear();
    return response;
}

}  // namespace shale

// Helper for test_save_crash: loads a project, then forever adds one instance
// and saves atomically, printing the project's instance count after each
// COMPLETED save ("saved N", flushed). The test SIGKILLs it at random moments.
//   save_loop <project.json> [max_saves]
// First line: "loaded N" (or "problem: ..." and exit 2 if the file was bad).
#include "core/annotation/project_file.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace samlabel::annotation;

// Deterministic geometry from the id so the test can verify contents, and
// large enough (a 64-point ring) that each save takes a moment to write.
Instance make_instance(std::uint64_t id) {
    Instance inst;
    inst.id = id;
    inst.class_id = 0;
    inst.created_ms = inst.modified_ms = static_cast<std::int64_t>(id) * 1000;
    PolygonWithHoles poly;
    for (int k = 0; k < 64; ++k) {
        const double a = 2.0 * 3.14159265358979 * k / 64.0;
        poly.outer.push_back({100.0 + double(id % 50) + 20.0 * std::cos(a), 100.0 + 20.0 * std::sin(a)});
    }
    inst.polygons.push_back(std::move(poly));
    return inst;
}

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: save_loop <project.json> [max_saves]\n");
        return 2;
    }
    const std::filesystem::path path = argv[1];
    const long max_saves = argc > 2 ? std::atol(argv[2]) : -1;
    ProjectLoadResult loaded = load_project_file(path);
    if (!loaded.ok()) {
        std::printf("problem: %s\n", loaded.problem.c_str());
        return 2;
    }
    Project& project = loaded.project;
    if (project.classes().empty()) project.add_class("thing", 0x00ff00);
    std::printf("loaded %zu\n", project.instance_count());
    std::fflush(stdout);
    for (long n = 0; max_saves < 0 || n < max_saves; ++n) {
        ImageAnnotations& image = project.ensure_image("img.png", 640, 480);
        image.instances.push_back(make_instance(project.allocate_instance_id()));
        save_project_file(path, project);
        std::printf("saved %zu\n", project.instance_count());
        std::fflush(stdout);
    }
    return 0;
}

// Crash safety of project saves: SIGKILL a process that keeps adding an
// instance and saving, at random moments, 30 times over. Each time the
// project must load cleanly and hold exactly the instances of the last save
// the process reported complete, or one more.
//
// Why "or one more": save_loop prints "saved N" after save_project_file
// returns. A kill after the rename (the new file is in place) but before the
// print leaves N+1 instances on disk while N was the last line we read. It
// cannot be N+2: the next save only starts after that print. A kill at any
// earlier moment (writing or syncing the temporary file, linking the .bak)
// must leave the previous complete file, i.e. exactly N.
#include "core/annotation/project_file.h"
#include "core/annotation/atomic_file.h"

#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace samlabel::annotation;
namespace fs = std::filesystem;

namespace {

// Last "loaded N" / "saved N" count in complete lines of the output.
long last_count(const QByteArray& output) {
    long count = -1;
    for (const QByteArray& line : output.split('\n')) {
        // A line cut by the kill has no '\n' after it; split leaves it last,
        // and it is only trusted if it parses as a whole number.
        const QList<QByteArray> words = line.trimmed().split(' ');
        if (words.size() != 2 || (words[0] != "loaded" && words[0] != "saved")) continue;
        bool ok = false;
        const long n = words[1].toLong(&ok);
        if (ok) count = n;
    }
    return count;
}

}  // namespace

class TestSaveCrash : public QObject {
    Q_OBJECT
private slots:
    void sigkill_during_repeated_saves() {
        QTemporaryDir dir;
        const QString project = dir.filePath("samlabel-project.json");
        // One complete save first, so that a kill before the first round's
        // first save (a slow start on a busy machine) still leaves a project
        // file to load.
        {
            QProcess first;
            first.start(QStringLiteral(SAVE_LOOP_EXE), {project, QStringLiteral("1")});
            QVERIFY(first.waitForFinished(30000));
            QCOMPARE(first.exitCode(), 0);
        }
        QRandomGenerator rng(20240601);
        int killed_after_rename = 0, killed_mid_write = 0, rounds_with_saves = 0;
        for (int round = 0; round < 30; ++round) {
            QProcess proc;
            proc.start(QStringLiteral(SAVE_LOOP_EXE), {project});
            QVERIFY2(proc.waitForStarted(10000), qPrintable(proc.errorString()));
            QVERIFY(proc.waitForReadyRead(10000));  // "loaded N"
            // Let it save for a random time, then kill it without warning.
            QTest::qWait(int(rng.bounded(5, 120)));
            proc.kill();  // SIGKILL on POSIX
            QVERIFY(proc.waitForFinished(10000));
            const QByteArray output = proc.readAllStandardOutput();
            QVERIFY2(!output.startsWith("problem"), output.constData());
            const long printed = last_count(output);
            QVERIFY2(printed >= 0, output.constData());
            if (output.contains("saved")) ++rounds_with_saves;
            // A leftover temporary file means the kill landed while a save was
            // writing it. Removed here (the next save would replace it anyway) so
            // each round counts only its own kill.
            const fs::path temp = samlabel::annotation::atomic_temp_path(project.toStdString());
            if (fs::exists(temp)) ++killed_mid_write;

            const ProjectLoadResult r = load_project_file(project.toStdString());
            QVERIFY2(r.ok(), r.problem.c_str());
            QCOMPARE(r.origin, ProjectLoadResult::Origin::Loaded);
            const long on_disk = long(r.project.instance_count());
            QVERIFY2(on_disk == printed || on_disk == printed + 1,
                     qPrintable(QString("round %1: %2 instances on disk, last completed save printed %3").arg(round).arg(on_disk).arg(printed)));
            if (on_disk == printed + 1) ++killed_after_rename;
            // Contents, not just the count: ids 1..N in order, geometry intact.
            const ImageAnnotations* image = r.project.find_image("img.png");
            QVERIFY(image);
            for (long i = 0; i < on_disk; ++i) {
                const Instance& inst = image->instances[std::size_t(i)];
                QCOMPARE(inst.id, std::uint64_t(i + 1));
                QCOMPARE(inst.polygons.at(0).outer.size(), std::size_t(64));
                QCOMPARE(inst.polygons[0].outer[0].x, 120.0 + double(inst.id % 50));
            }
            QCOMPARE(r.project.next_instance_id(), std::uint64_t(on_disk + 1));
            fs::remove(temp);
            // The kept previous version is always a valid project too.
            if (fs::exists(backup_path(project.toStdString()))) {
                const ProjectLoadResult bak = load_project_file(backup_path(project.toStdString()));
                QVERIFY2(bak.ok(), bak.problem.c_str());
                QVERIFY(long(bak.project.instance_count()) <= on_disk);
            }
        }
        qInfo("30 kills; %d rounds saved at least once; %d kills landed while writing the temporary file, %d between rename and print",
              rounds_with_saves, killed_mid_write, killed_after_rename);
        QVERIFY(rounds_with_saves >= 20);  // the kills really interrupted save loops
        // The dangerous moment was hit: without a kill in the middle of a write,
        // an in-place save would pass too.
        QVERIFY2(killed_mid_write >= 1, "no kill landed while a save was writing");
    }
};

QTEST_MAIN(TestSaveCrash)
#include "test_save_crash.moc"

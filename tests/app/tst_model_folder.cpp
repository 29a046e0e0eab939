// Finding a person's models: a plain folder, ComfyUI's and A1111's layouts, diffusers folders, and add-on
// folders that are not models.
#include "app/model_folder.h"

#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QFileInfo>
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>

using namespace storybrush;

namespace {
void touch(const QString& path) {
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("{}");
}
QStringList names(const QStringList& paths) {
    QStringList out;
    for (const QString& path : paths) out.append(QFileInfo(path).fileName());
    return out;
}
}  // namespace

class TestModelFolder : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void comfyUiLayout() {
        QTemporaryDir root;
        touch(root.filePath(QStringLiteral("models/checkpoints/sd15/dreamBook.safetensors")));
        touch(root.filePath(QStringLiteral("models/checkpoints/Anime.safetensors")));
        touch(root.filePath(QStringLiteral("models/loras/crayon.safetensors")));
        touch(root.filePath(QStringLiteral("models/vae/sd-vae.safetensors")));
        touch(root.filePath(QStringLiteral("models/checkpoints/old.ckpt")));  // never offered: pickle
        touch(root.filePath(QStringLiteral("models/diffusers/tiny/model_index.json")));
        touch(root.filePath(QStringLiteral("models/diffusers/tiny/unet/diffusion_pytorch_model.safetensors")));
        const QStringList found = findModels(root.path());
        QCOMPARE(names(found), (QStringList{QStringLiteral("Anime.safetensors"),
                                            QStringLiteral("dreamBook.safetensors"), QStringLiteral("tiny")}));
    }

    void loraFolders() {
        QTemporaryDir comfy;
        touch(comfy.filePath(QStringLiteral("models/loras/style/crayon.safetensors")));
        touch(comfy.filePath(QStringLiteral("models/checkpoints/base.safetensors")));
        QCOMPARE(names(findLoras(comfy.path())), QStringList{QStringLiteral("crayon.safetensors")});
        QTemporaryDir a1111;
        touch(a1111.filePath(QStringLiteral("models/Lora/Watercolor.safetensors")));
        QCOMPARE(names(findLoras(a1111.path())), QStringList{QStringLiteral("Watercolor.safetensors")});
        QVERIFY(findLoras(QString()).isEmpty());
    }

    void a1111AndPlainFolders() {
        QTemporaryDir root;
        touch(root.filePath(QStringLiteral("models/Stable-diffusion/v1-5.safetensors")));
        touch(root.filePath(QStringLiteral("models/Lora/x.safetensors")));
        QCOMPARE(names(findModels(root.path())), QStringList{QStringLiteral("v1-5.safetensors")});
        QTemporaryDir plain;
        touch(plain.filePath(QStringLiteral("school.safetensors")));
        QCOMPARE(names(findModels(plain.path())), QStringList{QStringLiteral("school.safetensors")});
        QVERIFY(findModels(plain.filePath(QStringLiteral("missing"))).isEmpty());
        QVERIFY(findModels(QString()).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestModelFolder)
#include "tst_model_folder.moc"

// The safetensors reader: round trips of files written here, every kind of corruption refused with
// Error(ModelFile) naming the file, pickle files refused, and a real fixture read against its own header.
#include "common/fixtures.h"
#include "io/safetensors.h"

#include <storybrush/error.h>

#include <QtCore/QFile>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>

#include <torch/torch.h>

#include <cstring>

using namespace storybrush;
using namespace storybrush::io;

namespace {

// A little writer: header JSON given as text (so tests can break it), data bytes appended as they are.
QByteArray safetensorsBytes(const QByteArray& headerJson, const QByteArray& data, bool padHeader = true) {
    QByteArray header = headerJson;
    while (padHeader && header.size() % 8 != 0) header.append(' ');  // the reference pads with spaces
    QByteArray bytes;
    quint64 length = static_cast<quint64>(header.size());
    for (int i = 0; i < 8; ++i) bytes.append(static_cast<char>((length >> (8 * i)) & 0xff));
    return bytes + header + data;
}

template <typename T>
QByteArray rawBytes(std::initializer_list<T> values) {
    QByteArray bytes;
    for (const T& value : values) bytes.append(reinterpret_cast<const char*>(&value), sizeof(T));
    return bytes;
}

QString writeFile(const QTemporaryDir& dir, const QString& name, const QByteArray& bytes) {
    const QString path = dir.filePath(name);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly)) return {};
    file.write(bytes);
    return path;
}

// The message of the Error(ModelFile) that opening gives, or "" (and a failed check) when there is none.
QString modelFileError(const QString& path) {
    try {
        auto file = SafetensorsFile::open(path.toStdString());
        return {};
    } catch (const Error& error) {
        if (error.kind() != ErrorKind::ModelFile)
            return QStringLiteral("wrong kind: ") + QString::fromUtf8(error.what());
        return QString::fromUtf8(error.what());
    }
}

}  // namespace

class TestSafetensors : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void readsBackValuesDtypesShapesAndMetadata() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        // F32 [2,3] 0..5 | F16 [4] 1,-2,0.5,65504 | I64 [2] | U8 [3] | BOOL [2] | BF16 [2] 1,-3 | I32 [] 7 | F32 [0,3]
        QByteArray data;
        data += rawBytes<float>({0.f, 1.f, 2.f, 3.f, 4.f, 5.f});      // 0..24
        data += rawBytes<quint16>({0x3c00, 0xc000, 0x3800, 0x7bff});  // 24..32
        data += rawBytes<qint64>({-5, 1LL << 40});                    // 32..48
        data += rawBytes<quint8>({0, 128, 255});                      // 48..51
        data += rawBytes<quint8>({1, 0});                             // 51..53
        data += rawBytes<quint16>({0x3f80, 0xc040});                  // 53..57
        data += rawBytes<qint32>({7});                                // 57..61
        const QByteArray header = R"({"__metadata__":{"format":"pt","note":"hello"},)"
                                  R"("a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
                                  R"("h":{"dtype":"F16","shape":[4],"data_offsets":[24,32]},)"
                                  R"("l":{"dtype":"I64","shape":[2],"data_offsets":[32,48]},)"
                                  R"("u":{"dtype":"U8","shape":[3],"data_offsets":[48,51]},)"
                                  R"("b":{"dtype":"BOOL","shape":[2],"data_offsets":[51,53]},)"
                                  R"("bf":{"dtype":"BF16","shape":[2],"data_offsets":[53,57]},)"
                                  R"("s":{"dtype":"I32","shape":[],"data_offsets":[57,61]},)"
                                  R"("empty":{"dtype":"F32","shape":[0,3],"data_offsets":[61,61]}})";
        const QString path = writeFile(dir, QStringLiteral("good.safetensors"), safetensorsBytes(header, data));

        torch::Tensor a;
        {
            auto file = SafetensorsFile::open(path.toStdString());
            QCOMPARE(file->tensors().size(), std::size_t(8));
            QCOMPARE(file->metadata().at("format"), std::string("pt"));
            QCOMPARE(file->metadata().at("note"), std::string("hello"));
            QVERIFY(file->find("missing") == nullptr);

            const TensorInfo* info = file->find("a");
            QVERIFY(info);
            QCOMPARE(info->dtype, DType::F32);
            QCOMPARE(info->shape, (std::vector<std::int64_t>{2, 3}));
            QCOMPARE(info->byteSize, std::uint64_t(24));
            a = tensorView(file, *info);
            QCOMPARE(a.scalar_type(), torch::kFloat);
            QVERIFY(a.data_ptr() == static_cast<const void*>(file->data(*info)));  // zero copy
            QVERIFY(torch::equal(a, torch::arange(6, torch::kFloat).reshape({2, 3})));

            auto h = tensorView(file, *file->find("h"));
            QCOMPARE(h.scalar_type(), torch::kHalf);
            QVERIFY(torch::equal(h.to(torch::kFloat), torch::tensor({1.f, -2.f, 0.5f, 65504.f})));
            auto l = tensorView(file, *file->find("l"));
            QCOMPARE(l.scalar_type(), torch::kLong);
            QCOMPARE(l[1].item<std::int64_t>(), std::int64_t(1) << 40);
            QCOMPARE(l[0].item<std::int64_t>(), std::int64_t(-5));
            auto u = tensorView(file, *file->find("u"));
            QCOMPARE(u.scalar_type(), torch::kByte);
            QCOMPARE(u[2].item<int>(), 255);
            auto b = tensorView(file, *file->find("b"));
            QCOMPARE(b.scalar_type(), torch::kBool);
            QVERIFY(b[0].item<bool>() && !b[1].item<bool>());
            auto bf = tensorView(file, *file->find("bf"));  // not 2-byte aligned: copied, values intact
            QCOMPARE(bf.scalar_type(), torch::kBFloat16);
            QVERIFY(torch::equal(bf.to(torch::kFloat), torch::tensor({1.f, -3.f})));
            auto s = tensorView(file, *file->find("s"));
            QCOMPARE(s.dim(), int64_t(0));
            QCOMPARE(s.item<int>(), 7);
            auto empty = tensorView(file, *file->find("empty"));
            QCOMPARE(empty.sizes().vec(), (std::vector<std::int64_t>{0, 3}));
            QCOMPARE(std::string(dtypeName(DType::BF16)), std::string("BF16"));
            QCOMPARE(dtypeSize(DType::F64), std::size_t(8));
        }
        // The view keeps the file mapped after the last SafetensorsFile handle is gone.
        QCOMPARE(a.sum().item<float>(), 15.f);
    }

    void refusesCorruptFiles_data() {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("mentions");
        const QByteArray goodData = rawBytes<float>({1.f, 2.f, 3.f, 4.f});
        const QByteArray goodHeader = R"({"t":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}})";
        const QByteArray good = safetensorsBytes(goodHeader, goodData);

        QTest::newRow("empty file") << QByteArray() << QStringLiteral("8-byte");
        QTest::newRow("shorter than 8 bytes") << QByteArray("\x10\x00\x00", 3) << QStringLiteral("8-byte");
        QTest::newRow("truncated data") << good.left(good.size() - 4) << QStringLiteral("past the end");
        QTest::newRow("truncated header") << good.left(20) << QStringLiteral("larger than the file");
        QByteArray huge = good;
        huge[5] = 0x01;  // header length ~ 2^40
        QTest::newRow("absurd header length") << huge << QStringLiteral("absurd");
        QByteArray tooBig = good;
        tooBig[0] = static_cast<char>(static_cast<unsigned char>(tooBig[0]) + 64);
        QTest::newRow("header length past the end") << tooBig << QStringLiteral("larger than the file");
        QTest::newRow("bad json") << safetensorsBytes(R"({"t":{"dtype":"F32",)", goodData)
                                  << QStringLiteral("not valid JSON");
        QTest::newRow("json array") << safetensorsBytes("[1,2,3]", goodData) << QStringLiteral("not an object");
        QTest::newRow("entry not an object")
            << safetensorsBytes(R"({"t":5})", goodData) << QStringLiteral("\"t\" is not a JSON object");
        QTest::newRow("metadata not strings")
            << safetensorsBytes(R"({"__metadata__":{"k":1},"t":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}})",
                                goodData)
            << QStringLiteral("metadata");
        QTest::newRow("missing dtype") << safetensorsBytes(R"({"t":{"shape":[2,2],"data_offsets":[0,16]}})", goodData)
                                       << QStringLiteral("dtype");
        QTest::newRow("unknown dtype") << safetensorsBytes(
                                              R"({"t":{"dtype":"F128","shape":[2,2],"data_offsets":[0,16]}})", goodData)
                                       << QStringLiteral("F128");
        QTest::newRow("negative shape") << safetensorsBytes(
                                               R"({"t":{"dtype":"F32","shape":[-2,-2],"data_offsets":[0,16]}})",
                                               goodData)
                                        << QStringLiteral("non-negative");
        QTest::newRow("fractional shape")
            << safetensorsBytes(R"({"t":{"dtype":"F32","shape":[2.5,2],"data_offsets":[0,16]}})", goodData)
            << QStringLiteral("non-negative");
        QTest::newRow("overflowing shape")
            << safetensorsBytes(R"({"t":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,16]}})",
                                goodData)
            << QStringLiteral("overflows");
        QTest::newRow("shape and length mismatch")
            << safetensorsBytes(R"({"t":{"dtype":"F32","shape":[3,2],"data_offsets":[0,16]}})", goodData)
            << QStringLiteral("needs 24");
        QTest::newRow("offsets past the end")
            << safetensorsBytes(R"({"t":{"dtype":"F32","shape":[2,2],"data_offsets":[16,32]}})", goodData)
            << QStringLiteral("past the end");
        QTest::newRow("offsets reversed")
            << safetensorsBytes(R"({"t":{"dtype":"F32","shape":[0],"data_offsets":[16,0]}})", goodData)
            << QStringLiteral("end before they begin");
        QTest::newRow("negative offsets")
            << safetensorsBytes(R"({"t":{"dtype":"F32","shape":[2,2],"data_offsets":[-16,0]}})", goodData)
            << QStringLiteral("data_offsets");
        QTest::newRow("overlapping") << safetensorsBytes(R"({"t":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},)"
                                                         R"("u":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})",
                                                         goodData)
                                     << QStringLiteral("overlap");
        QTest::newRow("pickle inside") << QByteArray("\x80\x02}q\x00(X\x05\x00\x00\x00", 12)
                                       << QStringLiteral("pickle");
        QTest::newRow("zip inside") << QByteArray("PK\x03\x04\x00\x00\x00\x00\x00\x00", 10) << QStringLiteral("pickle");
    }

    void refusesCorruptFiles() {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, mentions);
        QTemporaryDir dir;
        const QString path = writeFile(dir, QStringLiteral("broken-model.safetensors"), bytes);
        QVERIFY(!path.isEmpty());
        const QString message = modelFileError(path);
        QVERIFY2(message.contains(path), qPrintable(message));
        QVERIFY2(message.contains(mentions), qPrintable(message));
    }

    void refusesPickleFilesByName() {
        QTemporaryDir dir;
        for (const char* name : {"model.ckpt", "model.pt", "weights.PTH", "pytorch_model.bin"}) {
            // Refused before the file is opened: whatever it holds is never read.
            const QString path = writeFile(dir, QString::fromLatin1(name), QByteArray("anything"));
            const QString message = modelFileError(path);
            QVERIFY2(message.contains(path), qPrintable(message));
            QVERIFY2(message.contains(QStringLiteral("run any code")), qPrintable(message));
            QVERIFY2(message.contains(QStringLiteral("weights_only=True")), qPrintable(message));
            QVERIFY2(message.contains(QStringLiteral("save_file")), qPrintable(message));
        }
    }

    void refusesMissingFilesAndFolders() {
        QTemporaryDir dir;
        const QString missing = dir.filePath(QStringLiteral("nowhere.safetensors"));
        QString message = modelFileError(missing);
        QVERIFY2(message.contains(missing) && message.contains(QStringLiteral("no such file")), qPrintable(message));
        message = modelFileError(dir.path());
        QVERIFY2(message.contains(dir.path()) && message.contains(QStringLiteral("folder")), qPrintable(message));
        const QString text = writeFile(dir, QStringLiteral("notes.safetensors"), QByteArray("hello, this is text\n"));
        message = modelFileError(text);
        QVERIFY2(message.contains(text) && message.contains(QStringLiteral("not a .safetensors")), qPrintable(message));
    }

    void refusesF8Views() {
        QTemporaryDir dir;
        const QString path = writeFile(dir, QStringLiteral("f8.safetensors"),
                                       safetensorsBytes(R"({"t":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}})",
                                                        QByteArray("\x01\x02", 2)));
        auto file = SafetensorsFile::open(path.toStdString());
        QCOMPARE(file->find("t")->dtype, DType::F8_E4M3);
        try {
            tensorView(file, *file->find("t"));
            QFAIL("an F8 tensor was viewed");
        } catch (const Error& error) {
            QVERIFY(QString::fromUtf8(error.what()).contains(QStringLiteral("F8_E4M3")));
        }
    }

    void readsTheTinyUnetFixture() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-diffusers/unet/diffusion_pytorch_model.safetensors");
        const QString path = storybrush::test::fixturePath(
            QStringLiteral("tiny-sd15-diffusers/unet/diffusion_pytorch_model.safetensors"));
        auto file = SafetensorsFile::open(path.toStdString());

        // Count independently: Qt's JSON parser on the same header.
        QFile raw(path);
        QVERIFY(raw.open(QIODevice::ReadOnly));
        const QByteArray head = raw.read(8);
        quint64 length = 0;
        for (int i = 7; i >= 0; --i) length = (length << 8) | static_cast<unsigned char>(head[i]);
        const QJsonObject header = QJsonDocument::fromJson(raw.read(static_cast<qint64>(length))).object();
        const auto expectedCount =
            static_cast<std::size_t>(header.size() - (header.contains(QStringLiteral("__metadata__")) ? 1 : 0));
        QVERIFY(expectedCount > 100);
        QCOMPARE(file->tensors().size(), expectedCount);

        // conv_in.weight is [block_out_channels[0], in_channels, 3, 3] by the folder's config.json.
        QFile configFile(storybrush::test::fixturePath(QStringLiteral("tiny-sd15-diffusers/unet/config.json")));
        QVERIFY(configFile.open(QIODevice::ReadOnly));
        const QJsonObject config = QJsonDocument::fromJson(configFile.readAll()).object();
        const std::int64_t out = config.value(QStringLiteral("block_out_channels")).toArray().at(0).toInt();
        const std::int64_t in = config.value(QStringLiteral("in_channels")).toInt();
        const TensorInfo* conv = file->find("conv_in.weight");
        QVERIFY(conv);
        QCOMPARE(conv->dtype, DType::F16);
        QCOMPARE(conv->shape, (std::vector<std::int64_t>{out, in, 3, 3}));
        auto tensor = tensorView(file, *conv);
        QCOMPARE(tensor.scalar_type(), torch::kHalf);
        QVERIFY(torch::isfinite(tensor.to(torch::kFloat)).all().item<bool>());
        QVERIFY(tensor.abs().sum().item<float>() > 0.f);
    }
};

QTEST_GUILESS_MAIN(TestSafetensors)
#include "tst_safetensors.moc"

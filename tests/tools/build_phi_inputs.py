#!/usr/bin/python3
"""Builds adversarial inputs for the de-identification tests with pydicom (not with ServerlessMed's codec): one patient's
identifiers planted where the standard allows them and de-identifiers commonly miss them, in three character sets.

    build_phi_inputs.py OUTDIR

Writes OUTDIR/{pr,sr,ct}.dcm and OUTDIR/planted.json: the identifying values (needles) that no de-identified output
may contain, whatever the policy, and the original UIDs. Files:
  pr.dcm  Grayscale Softcopy Presentation State, ISO_IR 100 (Latin-1): annotation text, Content Description,
          Presentation Creation Date/Time (Type 1), Responsible Person and Role, Content Creator's Name.
  sr.dcm  Comprehensive SR, ISO_IR 192 (UTF-8): TEXT items at depths 1-3 (names in other order and case, the record
          number, dates in three formats, a phone number, a quoted UID of another instance, CJK names), PNAME, DATE,
          UIDREF items, Referenced Request Sequence, Verifying Observer Sequence, Operator Identification Sequence with
          a Person Identification Code Sequence.
  ct.dcm  CT Image, ISO 2022 IR 87 (Japanese, with escape sequences): free text the table does not list (Birth Date in
          Alternative Calendar, Intervention Drug Name, Document Title), a private block, an unknown public attribute,
          an unlisted date (Expiration DateTime) and safe text (Manufacturer, Convolution Kernel).
"""
import json
import os
import sys

import pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian

ROOT = "1.2.826.0.1.3680043.9.9999"
STUDY = ROOT + ".1.1"
FOR = ROOT + ".1.2"
CT_SERIES, CT_SOP = ROOT + ".2.1", ROOT + ".3.1"
PR_SERIES, PR_SOP = ROOT + ".2.2", ROOT + ".3.2"
SR_SERIES, SR_SOP = ROOT + ".2.3", ROOT + ".3.3"
QUOTED_UID = ROOT + ".7.42"  # an instance a report mentions that is not in this set

NAME = "Quuxley^Zebulon^Marek"
PID = "QX-7731904"
OTHER_PERSON = "Vandermolen^Hester"
LATIN_PERSON = "Müllerbrandt^Jörg"
INSTITUTION = "Saint Elsewhere Quarry Hospital"
ADDRESS = "42 Wallaby Way, Quarryville"
PHONE = "(617) 555-0142"

NEEDLES = [
    "Quuxley", "Zebulon", "Marek", "QX-7731904", "7731904", "19610312", "1961-03-12", "12/03/1961", "March 12, 1961",
    "ACC99183", "Vandermolen", "Hester", "Müllerbrandt", "Jörg", "Elsewhere Quarry", "Wallaby", "Quarryville",
    "555-0142", "555-0199", "久留", "善文", "S36-03-12", "EMP-55821", "DOC-88123", "RP-40417", "PO-33127",
    STUDY, CT_SERIES, CT_SOP, PR_SERIES, PR_SOP, SR_SERIES, SR_SOP, FOR, QUOTED_UID,
]


def code(value, scheme, meaning):
    c = Dataset()
    c.CodeValue, c.CodingSchemeDesignator, c.CodeMeaning = value, scheme, meaning
    return c


def patient_study(ds, charset, name=NAME):
    ds.SpecificCharacterSet = charset
    ds.PatientName = name
    ds.PatientID = PID
    ds.PatientBirthDate = "19610312"
    ds.PatientSex = "M"
    ds.OtherPatientIDsSequence = Sequence([Dataset()])
    ds.OtherPatientIDsSequence[0].PatientID = "7731904"
    ds.OtherPatientIDsSequence[0].TypeOfPatientID = "TEXT"
    ds.PatientAddress = ADDRESS
    ds.PatientTelephoneNumbers = PHONE
    ds.StudyInstanceUID = STUDY
    ds.StudyDate, ds.StudyTime = "20240506", "101500"
    ds.ReferringPhysicianName = OTHER_PERSON
    ds.StudyID = "ST7731904"
    ds.AccessionNumber = "ACC99183"
    ds.InstitutionName = INSTITUTION
    ds.InstitutionAddress = ADDRESS
    ds.Manufacturer = "Acme Scanners"


def save(ds, sop_class, sop, path):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = ROOT + ".99"
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, sop
    f = FileDataset(path, ds, file_meta=meta, preamble=b"\0" * 128)
    f.is_little_endian, f.is_implicit_VR = True, False
    f.save_as(path, write_like_original=False)


def presentation_state(path):
    ds = Dataset()
    patient_study(ds, "ISO_IR 100")
    ds.ReferringPhysicianName = LATIN_PERSON
    ds.PatientSpeciesDescription = "Canine"
    ds.PatientBreedDescription = "Beagle"
    ds.PatientBreedCodeSequence = Sequence([])
    ds.BreedRegistrationSequence = Sequence([])
    ds.ResponsibleOrganization = INSTITUTION
    ds.PatientSexNeutered = "ALTERED"
    ds.ResponsiblePerson = LATIN_PERSON
    ds.ResponsiblePersonRole = "OWNER"
    ds.Modality = "PR"
    ds.SeriesInstanceUID, ds.SeriesNumber = PR_SERIES, "2"
    ds.InstanceNumber = "1"
    ds.ContentLabel = "ANNOTATIONS"
    ds.ContentDescription = "Annotations for Quuxley " + PID
    ds.ContentCreatorName = LATIN_PERSON
    ds.PresentationCreationDate, ds.PresentationCreationTime = "20240507", "113000"
    image = Dataset()
    image.ReferencedSOPClassUID, image.ReferencedSOPInstanceUID = "1.2.840.10008.5.1.4.1.1.2", CT_SOP
    series = Dataset()
    series.SeriesInstanceUID = CT_SERIES
    series.ReferencedImageSequence = Sequence([image])
    ds.ReferencedSeriesSequence = Sequence([series])
    area = Dataset()
    area.DisplayedAreaTopLeftHandCorner = [1, 1]
    area.DisplayedAreaBottomRightHandCorner = [8, 8]
    area.PresentationSizeMode = "SCALE TO FIT"
    area.PresentationPixelAspectRatio = [1, 1]
    ds.DisplayedAreaSelectionSequence = Sequence([area])
    text = Dataset()
    text.BoundingBoxAnnotationUnits = "PIXEL"
    text.UnformattedTextValue = "QUUXLEY zebulon DOB 12/03/1961 MRN QX-7731904 call 617-555-0199"
    text.BoundingBoxTopLeftHandCorner = [1.0, 1.0]
    text.BoundingBoxBottomRightHandCorner = [6.0, 3.0]
    text.BoundingBoxTextHorizontalJustification = "LEFT"
    graphic = Dataset()
    graphic.GraphicAnnotationUnits = "PIXEL"
    graphic.GraphicDimensions = 2
    graphic.NumberOfGraphicPoints = 2
    graphic.GraphicData = [2.0, 2.0, 5.0, 5.0]
    graphic.GraphicType = "POLYLINE"
    graphic.GraphicFilled = "N"
    annotation = Dataset()
    annotation.GraphicLayer = "LAYER1"
    annotation.TextObjectSequence = Sequence([text])
    annotation.GraphicObjectSequence = Sequence([graphic])
    ds.GraphicAnnotationSequence = Sequence([annotation])
    layer = Dataset()
    layer.GraphicLayer = "LAYER1"
    layer.GraphicLayerOrder = 1
    layer.GraphicLayerDescription = "Layer of Jörg Müllerbrandt, QX-7731904"
    ds.GraphicLayerSequence = Sequence([layer])
    ds.PresentationLUTShape = "IDENTITY"
    save(ds, "1.2.840.10008.5.1.4.1.1.11.1", PR_SOP, path)


def content_item(relationship, value_type, concept, **values):
    item = Dataset()
    item.RelationshipType, item.ValueType = relationship, value_type
    item.ConceptNameCodeSequence = Sequence([code(*concept)])
    for k, v in values.items():
        setattr(item, k, v)
    return item


def structured_report(path):
    ds = Dataset()
    patient_study(ds, "ISO_IR 192", name=NAME + "=久留^善文")
    ds.Modality = "SR"
    ds.SeriesInstanceUID, ds.SeriesNumber = SR_SERIES, "3"
    ds.InstanceNumber = "1"
    ds.ContentDate, ds.ContentTime = "20240507", "120000"
    ds.ReferencedPerformedProcedureStepSequence = Sequence([])
    ds.CompletionFlag, ds.VerificationFlag = "COMPLETE", "VERIFIED"
    ds.CompletionFlagDescription = "Signed for Zebulon Quuxley"
    observer = Dataset()
    observer.VerifyingObserverName = OTHER_PERSON
    observer.VerifyingOrganization = INSTITUTION
    observer.VerificationDateTime = "20240507130000"
    observer.VerifyingObserverIdentificationCodeSequence = Sequence([code("DOC-88123", "L", "Hester Vandermolen")])
    ds.VerifyingObserverSequence = Sequence([observer])
    request = Dataset()
    request.StudyInstanceUID = STUDY
    request.ReferencedStudySequence = Sequence([])
    request.AccessionNumber = "ACC99183"
    request.PlacerOrderNumberImagingServiceRequest = "PO-33127"
    request.FillerOrderNumberImagingServiceRequest = "PO-33127F"
    request.RequestedProcedureID = "RP-40417"
    request.RequestedProcedureDescription = "CT for Quuxley"
    request.RequestedProcedureCodeSequence = Sequence([])
    ds.ReferencedRequestSequence = Sequence([request])
    ds.PerformedProcedureCodeSequence = Sequence([])
    operator = Dataset()
    operator.PersonIdentificationCodeSequence = Sequence([code("EMP-55821", "L", "Badge of Hester Vandermolen")])
    operator.InstitutionName = INSTITUTION
    ds.OperatorIdentificationSequence = Sequence([operator])
    ds.OperatorsName = OTHER_PERSON

    deepest = content_item("CONTAINS", "TEXT", ("121106", "DCM", "Comment"),
                           TextValue="患者 久留 善文 様、電話 617-555-0199 (Zebulon)")
    middle = content_item("CONTAINS", "CONTAINER", ("121070", "DCM", "Findings"), ContinuityOfContent="SEPARATE")
    middle.ContentSequence = Sequence([
        content_item("CONTAINS", "TEXT", ("121071", "DCM", "Finding"),
                     TextValue="Sister Hester VANDERMOLEN reports zebulon quuxley fell on March 12, 1961."),
        deepest,
    ])
    ds.ValueType, ds.ContinuityOfContent = "CONTAINER", "SEPARATE"
    ds.ConceptNameCodeSequence = Sequence([code("18748-4", "LN", "Diagnostic Imaging Report")])
    ds.ContentSequence = Sequence([
        content_item("CONTAINS", "TEXT", ("121060", "DCM", "History"),
                     TextValue="Patient ZEBULON QUUXLEY (MRN QX-7731904), DOB 1961-03-12, seen 2024-05-06. "
                               f"Call {PHONE}. Prior study {QUOTED_UID}. Nodule 12.5 mm, stable."),
        content_item("HAS OBS CONTEXT", "PNAME", ("121008", "DCM", "Person Observer Name"), PersonName=OTHER_PERSON),
        content_item("HAS OBS CONTEXT", "DATE", ("111060", "DCM", "Study Date"), Date="19610312"),
        content_item("HAS OBS CONTEXT", "UIDREF", ("121018", "DCM", "Procedure Study Instance UID"), UID=STUDY),
        content_item("CONTAINS", "CODE", ("121071", "DCM", "Finding"), ConceptCodeSequence=Sequence([code("T-28000", "SRT", "Lung")])),
        middle,
    ])
    template = Dataset()
    template.MappingResource, template.TemplateIdentifier = "DCMR", "2000"
    ds.ContentTemplateSequence = Sequence([template])
    save(ds, "1.2.840.10008.5.1.4.1.1.88.33", SR_SOP, path)


def ct_image(path):
    ds = Dataset()
    patient_study(ds, "\\ISO 2022 IR 87", name="Quuxley^Zebulon^Marek=久留^善文")
    ds.add_new(0x00100033, "LO", "S36-03-12")  # Birth Date in Alternative Calendar
    ds.add_new(0x00100035, "CS", "JAPANESE")  # Patient's Alternative Calendar
    ds.add_new(0x00180034, "LO", "Drug for Zebulon Quuxley 久留善文様")  # Intervention Drug Name, outside its sequence
    ds.PersonIdentificationCodeSequence = Sequence([code("EMP-55821", "L", "Badge of Zebulon Quuxley")])
    ds.add_new(0x00420010, "ST", "Report for Quuxley, Zebulon")  # Document Title, stray in an image
    ds.add_new(0x00080416, "DT", "20250101120000")  # Expiration DateTime: a date Table E.1-1 does not list
    ds.add_new(0x00091010, "LO", "PLANT")  # private creator
    ds.add_new(0x00091001, "LO", "Private note on Quuxley")
    ds.add_new(0x00189998, "LO", "Unknown public Quuxley")  # not in the dictionary
    ds.ImageComments = "Zebulon moved during scan"
    ds.Modality, ds.PatientPosition = "CT", "HFS"
    ds.SeriesInstanceUID, ds.SeriesNumber = CT_SERIES, "1"
    ds.OperatorsName = OTHER_PERSON
    ds.FrameOfReferenceUID, ds.PositionReferenceIndicator = FOR, ""
    ds.InstanceNumber, ds.PatientOrientation = "1", ""
    ds.ContentDate, ds.ContentTime = "20240506", "101600"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.ConvolutionKernel = "STANDARD"
    ds.KVP, ds.AcquisitionNumber, ds.SliceThickness = "120", "1", "1.0"
    ds.PixelSpacing, ds.ImageOrientationPatient, ds.ImagePositionPatient = [1, 1], [1, 0, 0, 0, 1, 0], [0, 0, 0]
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.Rows = ds.Columns = 8
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.RescaleIntercept, ds.RescaleSlope = "-1024", "1"
    ds.PixelData = bytes(128)
    save(ds, "1.2.840.10008.5.1.4.1.1.2", CT_SOP, path)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    presentation_state(os.path.join(out, "pr.dcm"))
    structured_report(os.path.join(out, "sr.dcm"))
    ct_image(os.path.join(out, "ct.dcm"))
    with open(os.path.join(out, "planted.json"), "w", encoding="utf-8") as f:
        json.dump({"needles": NEEDLES, "quotedUid": QUOTED_UID, "studyUid": STUDY}, f, ensure_ascii=False)
    # Each file reads back with pydicom, in its own character set.
    for name in ("pr", "sr", "ct"):
        pydicom.dcmread(os.path.join(out, name + ".dcm")).decode()
    return 0


if __name__ == "__main__":
    sys.exit(main())
